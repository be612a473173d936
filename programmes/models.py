"""The fellowship programme: appointments (tenure and tier), policy questions, the expert network,
visit programmes, invitations to experts and the meetings of a timetable."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models import Tag, UTCDateTime, utcnow
from extensions import db
from fellows.models import Organisation, User

TIERS = {
    "policy_fellow": "Policy Fellow",
    "policy_leaders_fellow": "Policy Leaders Fellow",
    "continuing_fellow": "Continuing Fellow",
}
MEETING_MODES = {"in_person": "In person", "online": "Online", "either": "In person or online"}
TENURE_STATUSES = {"upcoming": "Appointed, not started", "current": "Current fellow", "alumni": "Alumni"}


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


expert_topics = Table(
    "expert_topics",
    db.metadata,
    Column("expert_id", ForeignKey("experts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Expert(db.Model):
    """A researcher or practitioner whom fellows meet: not a fellow, no account; reached by email only."""

    __tablename__ = "experts"
    __table_args__ = (CheckConstraint(f"meeting_mode IN {tuple(MEETING_MODES)}", name="meeting_mode"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Job title or academic position, e.g. "Professor of Public Policy".
    title: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    #: Building or place where the expert meets people in person (the timetable's travel table uses it).
    location: Mapped[str | None] = mapped_column(String(120))
    biography: Mapped[str | None] = mapped_column(Text)
    #: Stored lower-cased: one expert per address (an import matches on it).
    email: Mapped[str] = mapped_column(String(320), unique=True)
    meeting_mode: Mapped[str] = mapped_column(String(10), default="in_person")
    #: Never suggested or invited while set (the expert asked, or an organiser decided).
    do_not_contact: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    topics: Mapped[list[Tag]] = relationship(secondary=expert_topics, order_by=Tag.name)

    @property
    def meeting_mode_label(self) -> str:
        return MEETING_MODES.get(self.meeting_mode, self.meeting_mode)

    @property
    def affiliation(self) -> str:
        """ "Department, Organisation" as far as known."""
        parts = [self.department, self.organisation.name if self.organisation else None]
        return ", ".join(part for part in parts if part)
