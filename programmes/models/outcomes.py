"""What came of the meetings: the follow-ups agreed at each one (an action, who does it, by when), and the
impact records of each fellow (what changed, the evidence, the meetings it drew on, quotes with consent)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models import UTCDateTime, utcnow
from extensions import db
from fellows.models import User
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


#: Which meetings an impact record draws on (a meeting may feed several).
impact_meetings = db.Table(
    "impact_meetings",
    Column("record_id", ForeignKey("impact_records.id", ondelete="CASCADE"), primary_key=True),
    Column("meeting_id", ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True),
)


class ImpactRecord(db.Model):
    """What changed in a fellow's policy work because of the programme, with the evidence for it: the
    material of an impact story (the shape research-impact assessments ask for: the change, the evidence,
    the meetings that led to it, and what people said)."""

    __tablename__ = "impact_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    fellow_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    #: What changed: a policy, a decision, a plan, a way of working.
    what_changed: Mapped[str] = mapped_column(Text)
    #: How we know: a document, a date, a figure, who can confirm it.
    evidence: Mapped[str | None] = mapped_column(Text)
    #: When the change happened (as far as known).
    happened_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    fellow: Mapped[User] = relationship(foreign_keys=[fellow_id])
    meetings: Mapped[list[Meeting]] = relationship(secondary=impact_meetings, order_by=Meeting.starts_at)
    quotes: Mapped[list[ImpactQuote]] = relationship(
        back_populates="record", cascade="all, delete-orphan", order_by="ImpactQuote.id"
    )
    #: Experts who asked not to be named in this story (from their private link).
    withheld: Mapped[list[ImpactWithheld]] = relationship(cascade="all, delete-orphan", passive_deletes=True)

    def names(self, meeting: Meeting) -> bool:
        """Whether the story may name the expert of ``meeting``: not once they asked it not to."""
        return meeting.expert is not None and meeting.expert.id not in {w.expert_id for w in self.withheld}

    def expert_in_story(self, meeting: Meeting) -> str:
        """The expert of a linked meeting as the story (PDF, CSV, data download) names them."""
        if self.names(meeting):
            return meeting.expert.name
        return "an expert (who asked not to be named)" if meeting.expert is not None else "an expert"


class ImpactWithheld(db.Model):
    """An expert who took part in a meeting an impact story draws on, and asked not to be named in it.

    The meeting still counts in the story; the story says "an expert" instead of their name. Removing
    the row (the expert's *Name me again*) names them again.
    """

    __tablename__ = "impact_withheld"

    record_id: Mapped[int] = mapped_column(ForeignKey("impact_records.id", ondelete="CASCADE"), primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImpactQuote(db.Model):
    """Something a person said about the change, kept only with their consent to be quoted."""

    __tablename__ = "impact_quotes"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("impact_records.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    #: Who said it and in what role ("Director of Policy, DSIT"), as they agreed to be named.
    speaker: Mapped[str] = mapped_column(String(200))
    #: The day the speaker agreed to be quoted in impact stories; a quote is not kept without it.
    consent_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    record: Mapped[ImpactRecord] = relationship(back_populates="quotes")
