"""A fellow's appointment (tenure, tier, cohort) and the policy questions they bring."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models import Tag, UTCDateTime, utcnow
from extensions import db
from fellows.models import User

TIERS = {
    "policy_fellow": "Policy Fellow",
    "policy_leaders_fellow": "Policy Leaders Fellow",
    "continuing_fellow": "Continuing Fellow",
}
TENURE_STATUSES = {"upcoming": "Appointed, not started", "current": "Current fellow", "alumni": "Alumni"}


#: About 30 one-to-one meetings over a fellow's two years (5 days of meetings, in one or more visits).
DEFAULT_MEETING_TARGET = 30


class Appointment(db.Model):
    """A fellow's appointment: tenure dates, tier and cohort. Current or alumni follows from the dates."""

    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint(f"tier IN {tuple(TIERS)}", name="tier"),
        CheckConstraint("ends_on > starts_on", name="dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: One appointment per fellow; a renewal changes its dates and tier (e.g. to Continuing Fellow).
    fellow_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    tier: Mapped[str] = mapped_column(String(30), default="policy_fellow")
    #: The year the cohort began (the same meaning as a profile's cohort).
    cohort: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date)
    #: The last day of the tenure.
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    #: One-to-one meetings the office aims for over the whole tenure, across all its visits.
    meeting_target: Mapped[int] = mapped_column(Integer, default=DEFAULT_MEETING_TARGET)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    fellow: Mapped[User] = relationship(lazy="joined")

    @property
    def tier_label(self) -> str:
        return TIERS.get(self.tier, self.tier)

    def status_on(self, day: date) -> str:
        """ "upcoming", "current" or "alumni" on ``day``: derived, never stored, so it cannot drift."""
        if day < self.starts_on:
            return "upcoming"
        return "current" if day <= self.ends_on else "alumni"

    def days_left(self, day: date) -> int:
        return (self.ends_on - day).days


question_topics = Table(
    "policy_question_topics",
    db.metadata,
    Column("question_id", ForeignKey("policy_questions.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class PolicyQuestion(db.Model):
    """A question a fellow brings to the fellowship; meetings with experts are matched to it.

    Seen by organisers and the fellow, and by an expert only inside that expert's invitation.
    """

    __tablename__ = "policy_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    fellow_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(String(500))
    #: Background the fellow adds for the experts (plain text).
    context: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    fellow: Mapped[User] = relationship(foreign_keys=[fellow_id])
    topics: Mapped[list[Tag]] = relationship(secondary=question_topics, order_by=Tag.name)


# Foreign keys list pages and ON DELETE actions use (migration 0011_indexes).
Index("ix_policy_questions_created_by_id", PolicyQuestion.created_by_id)
Index("ix_policy_question_topics_tag_id", question_topics.c.tag_id)
