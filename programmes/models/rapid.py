"""Rapid response: a question a department needs answered in days, the panel of experts asked it, and
their written answers (by private link, no account)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.lib.tokens import hash_token
from core.models import Tag, UTCDateTime, utcnow
from extensions import db
from fellows.models import User
from programmes.models.experts import Expert

#: A panel member is on the list (``listed``), then emailed (``asked``); answering sets ``answered_at``.
PANEL_STATES = ("listed", "asked")

rapid_question_topics = Table(
    "rapid_question_topics",
    db.metadata,
    Column("question_id", ForeignKey("rapid_questions.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class RapidQuestion(db.Model):
    """A question with a deadline of days, put to a small panel of experts who answer in writing."""

    __tablename__ = "rapid_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(String(500))
    #: Who is asking and why, as the panel reads it (a department, a select committee).
    context: Mapped[str | None] = mapped_column(Text)
    #: Answers after this are still kept, marked late.
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    created_by: Mapped[User | None] = relationship()
    topics: Mapped[list[Tag]] = relationship(secondary=rapid_question_topics, order_by=Tag.name)
    panel: Mapped[list[PanelMember]] = relationship(
        back_populates="question", cascade="all, delete-orphan", order_by="PanelMember.id"
    )

    def is_past_deadline(self, now: datetime) -> bool:
        return now > self.deadline_at


class PanelMember(db.Model):
    """One expert on a rapid-response panel: listed, asked by email, and their answer."""

    __tablename__ = "panel_members"
    __table_args__ = (
        UniqueConstraint("question_id", "expert_id"),
        CheckConstraint(f"status IN {PANEL_STATES}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("rapid_questions.id", ondelete="CASCADE"), index=True)
    #: None once the expert removed themselves from the network (their answer goes with them).
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("experts.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="listed")
    #: The private link's token, hashed (to find the member) and sealed (to send it again in the thanks).
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    sealed_token: Mapped[str | None] = mapped_column(Text)
    #: Why matching proposed them, as the organiser saw it when adding them.
    reasons: Mapped[str | None] = mapped_column(Text)
    asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Answered after the deadline (kept, and marked).
    late: Mapped[bool] = mapped_column(default=False)
    thanked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    question: Mapped[RapidQuestion] = relationship(back_populates="panel")
    expert: Mapped[Expert | None] = relationship()

    hash = staticmethod(hash_token)
