"""What the invitation funnel stores beside a visit: the meetings wanted for each of the fellow's questions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db

if TYPE_CHECKING:
    from programmes.models import PolicyQuestion, VisitProgramme


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
