"""What came of the meetings: the follow-ups agreed at each one (an action, who does it, by when)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models import UTCDateTime, utcnow
from extensions import db
from programmes.models.timetable import Meeting

#: Who does a follow-up, as the pages say it. An expert's actions are chased by the programme team (experts
#: have no account and are asked with care), so their nudges go to the organisers.
FOLLOW_UP_OWNERS = {"fellow": "The fellow", "expert": "The expert", "organiser": "The programme team"}


class FollowUp(db.Model):
    """An action agreed at a meeting: a paper to send, an introduction, a second meeting."""

    __tablename__ = "follow_ups"
    __table_args__ = (CheckConstraint("owner IN ('fellow', 'expert', 'organiser')", name="owner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(300))
    owner: Mapped[str] = mapped_column(String(12))
    due_on: Mapped[date] = mapped_column(Date, index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the nudge that it is due was queued: once per follow-up (reopening it clears this).
    nudged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[Meeting] = relationship()

    @property
    def owner_label(self) -> str:
        return FOLLOW_UP_OWNERS[self.owner]

    def overdue(self, today: date) -> bool:
        return self.done_at is None and self.due_on < today

    def state(self, today: date) -> str:
        """ "done", "overdue", "due" (today) or "open", for the badge."""
        if self.done_at is not None:
            return "done"
        if self.due_on < today:
            return "overdue"
        return "due" if self.due_on == today else "open"
