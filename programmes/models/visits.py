"""A fellow's visit programme, the experts invited to it and what the funnel wants per question."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.lib.halfday import HalfDay
from core.lib.tokens import hash_token
from core.models import UTCDateTime, utcnow
from extensions import db
from fellows.models import User
from programmes.models.experts import Expert
from programmes.models.tenures import PolicyQuestion

#: Days after which an unanswered invitation expires, unless the visit says otherwise.
DEFAULT_EXPIRE_AFTER_DAYS = 14
#: Experts invited at once per meeting a question still wants, in per cent (2× by default).
DEFAULT_OVER_INVITE_PERCENT = 200
#: Long shots added to each question's suggestions, unless the visit says otherwise.
DEFAULT_LONG_SHOTS = 2

INVITATION_STATUSES = {
    "listed": "On the long list (not invited yet)",
    "invited": "Invited, no reply yet",
    "accepted": "Accepted",
    "declined": "Declined",
    "expired": "Expired: no answer in time",
}


class VisitProgramme(db.Model):
    """A fellow's visit: days of one-to-one meetings with experts, within daily hours and a lunch window."""

    __tablename__ = "visit_programmes"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="dates"),
        CheckConstraint("day_ends > day_starts", name="hours"),
        CheckConstraint("meeting_minutes BETWEEN 10 AND 240", name="meeting_minutes"),
        CheckConstraint("max_per_day BETWEEN 1 AND 20", name="max_per_day"),
        CheckConstraint("expire_after_days BETWEEN 2 AND 90", name="expire_after_days"),
        CheckConstraint("over_invite_percent BETWEEN 100 AND 500", name="over_invite_percent"),
        CheckConstraint("long_shots BETWEEN 0 AND 5", name="long_shots"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fellow_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    day_starts: Mapped[time] = mapped_column(Time, default=time(9, 0))
    day_ends: Mapped[time] = mapped_column(Time, default=time(17, 30))
    meeting_minutes: Mapped[int] = mapped_column(Integer, default=45)
    #: Kept free of meetings every day.
    lunch_starts: Mapped[time] = mapped_column(Time, default=time(12, 30))
    lunch_ends: Mapped[time] = mapped_column(Time, default=time(13, 30))
    #: Where the fellow is based during the visit (the start of each day's travel).
    home_location: Mapped[str | None] = mapped_column(String(120))
    max_per_day: Mapped[int] = mapped_column(Integer, default=6)
    #: Experts who have not answered are reminded once, this many days after the invitation.
    reminder_after_days: Mapped[int] = mapped_column(Integer, default=5)
    #: An invitation still unanswered this many days after it was sent expires (an answer after that is
    #: still recorded, and shown as late), so the organisers know to ask someone else.
    expire_after_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_EXPIRE_AFTER_DAYS, server_default="14")
    #: For a question with a target (``VisitTarget``), experts invited at once per
    #: meeting still wanted, in per cent: 200 invites twice as many experts as meetings wanted.
    over_invite_percent: Mapped[int] = mapped_column(Integer, default=DEFAULT_OVER_INVITE_PERCENT, server_default="200")
    #: Suggestions per question kept for long shots: weaker scores, but a field few experts in the network have.
    long_shots: Mapped[int] = mapped_column(Integer, default=DEFAULT_LONG_SHOTS, server_default="2")
    #: The last solve's reasons for each expert it could not place: {invitation id (as text): reason}.
    unplaced: Mapped[dict[str, str] | None] = mapped_column(JSON)
    solved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    fellow: Mapped[User] = relationship(lazy="joined")
    invitations: Mapped[list[ExpertInvitation]] = relationship(
        back_populates="programme", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def title(self) -> str:
        return f"{self.fellow.name}'s visit"

    @property
    def over_invite_factor(self) -> Decimal:
        """``over_invite_percent`` as the factor organisers set: 2.0 for 200."""
        return Decimal(self.over_invite_percent or DEFAULT_OVER_INVITE_PERCENT) / 100

    def days(self) -> list[date]:
        """The weekdays of the visit, in order."""
        count = (self.ends_on - self.starts_on).days + 1
        every = (self.starts_on + timedelta(days=n) for n in range(count))
        return [day for day in every if day.weekday() < 5]

    def half_days(self) -> list[HalfDay]:
        """Every half-day an expert can offer, in order."""
        return HalfDay.every(self.days())

    def half_day_choices(self) -> dict[str, str]:
        """{value: label} of each half-day: {"2027-03-01 am": "Monday 1 March, morning", ...}."""
        return {str(half): half.label for half in self.half_days()}


class ExpertInvitation(db.Model):
    """An expert on a visit's long list: invited by a private link (only its hash is kept), and the answer.

    After the expert asks to be removed from the network, ``expert_id`` is NULL and nothing personal is
    left: the row only counts towards the visit's anonymous response numbers.
    """

    __tablename__ = "expert_invitations"
    __table_args__ = (
        UniqueConstraint("programme_id", "expert_id"),
        CheckConstraint(f"status IN {tuple(INVITATION_STATUSES)}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("visit_programmes.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("experts.id", ondelete="SET NULL"), index=True)
    #: The policy question the expert was matched to, if any.
    question_id: Mapped[int | None] = mapped_column(ForeignKey("policy_questions.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default="listed", index=True)
    #: SHA-256 of the private link's token; NULL before the invitation is sent and after the link is retired.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: The same token sealed with a key derived from SECRET_KEY (core.sealing), so a reminder repeats the
    #: link the expert already has; a copy of the database without SECRET_KEY holds no usable link.
    sealed_token: Mapped[str | None] = mapped_column(Text)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the expert first opened the private link (the funnel's "opened").
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the invitation expired unanswered; kept after a late answer, which is then shown as late.
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Half-days the expert can do ("YYYY-MM-DD am"), ticked when accepting.
    available: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: A colleague the expert suggests instead (free text: name and address), for organisers to follow up.
    suggestion: Mapped[str | None] = mapped_column(Text)
    #: A note from the expert to the organisers.
    message: Mapped[str | None] = mapped_column(Text)
    #: The number of the fellow's brief version the invitation was sent with (BriefVersion.number).
    brief_version: Mapped[int | None] = mapped_column(Integer)
    #: When an organiser cancelled this expert's meeting: solving and repairing leave them out from then on.
    meeting_cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    programme: Mapped[VisitProgramme] = relationship(back_populates="invitations")
    expert: Mapped[Expert | None] = relationship()
    question: Mapped[PolicyQuestion | None] = relationship()

    @property
    def offered(self) -> frozenset[HalfDay]:
        """The half-days the expert ticked, as values."""
        return frozenset(HalfDay.parse(text) for text in self.available or [])

    hash = staticmethod(hash_token)

    @property
    def status_label(self) -> str:
        return INVITATION_STATUSES.get(self.status, self.status)


# A foreign key ON DELETE actions use (migration 0011_indexes).
Index("ix_expert_invitations_question_id", ExpertInvitation.question_id)


class VisitTarget(db.Model):
    """How many meetings a visit wants about one policy question. Sending invitations asks that many experts
    times the visit's over-invite factor from the question's shortlist (its experts on the long list, in the
    order they were added); the rest wait there, and each decline or expiry frees a place for the next."""

    __tablename__ = "visit_targets"
    __table_args__ = (
        UniqueConstraint("programme_id", "question_id"),
        CheckConstraint("meetings BETWEEN 1 AND 30", name="meetings"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("visit_programmes.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("policy_questions.id", ondelete="CASCADE"), index=True)
    meetings: Mapped[int] = mapped_column(Integer)

    programme: Mapped[VisitProgramme] = relationship()
    question: Mapped[PolicyQuestion] = relationship()
