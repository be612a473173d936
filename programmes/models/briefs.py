"""A fellow's brief: the numbered versions of their questions as experts are sent them, and each round's comments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    ForeignKey,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models import UTCDateTime, utcnow
from extensions import db
from fellows.models import User


class BriefVersion(db.Model):
    """One issued version of a fellow's brief: their policy questions as experts are sent them, frozen.

    A brief is refined in rounds: the fellow drafts (the live questions), the office comments, the fellow
    revises, and the office issues the next version. An invitation names the version it was sent with, so
    the expert keeps reading what they were asked about, and is told when a later version exists.
    """

    __tablename__ = "brief_versions"
    __table_args__ = (UniqueConstraint("fellow_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fellow_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: 1, 2, 3 … per fellow.
    number: Mapped[int] = mapped_column(Integer)
    #: The questions as issued: [{"id": question id, "question": text, "context": background or null}].
    questions: Mapped[list[dict]] = mapped_column(JSON, default=list)
    #: What changed, in the issuer's words (optional).
    note: Mapped[str | None] = mapped_column(Text)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])


class BriefComment(db.Model):
    """A comment in a brief's rounds (the office on a draft, the fellow in reply), after version ``after``
    (0 before the first version is issued)."""

    __tablename__ = "brief_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    fellow_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    after: Mapped[int] = mapped_column(Integer, default=0)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
