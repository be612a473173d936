"""The expert network: researchers and practitioners whom fellows meet, with their fields, and what matching
stores beside a profile (its meaning as a vector)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DDL,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Table,
    Text,
    event,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models import Tag, UTCDateTime, utcnow
from extensions import db
from fellows.models import Organisation

MEETING_MODES = {"in_person": "In person", "online": "Online", "either": "In person or online"}


expert_topics = Table(
    "expert_topics",
    db.metadata,
    Column("expert_id", ForeignKey("experts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


#: On PostgreSQL, ``experts.profile_words`` holds the English full-text document of an expert's profile,
#: kept by this trigger whenever the profile is written (SQLite has no full text: the column stays empty).
#: Matching searches and ranks it through its GIN index instead of turning every profile into a document
#: at each request. The migration 0013 creates the same function and trigger.
PROFILE_WORDS_FUNCTION = """
CREATE OR REPLACE FUNCTION experts_profile_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.profile_words := to_tsvector('english', concat_ws(' ', NEW.title, NEW.department, NEW.biography));
    RETURN NEW;
END
$$
"""
PROFILE_WORDS_TRIGGER = """
CREATE TRIGGER experts_profile_words BEFORE INSERT OR UPDATE OF title, department, biography ON experts
FOR EACH ROW EXECUTE FUNCTION experts_profile_words()
"""


class Expert(db.Model):
    """A researcher or practitioner whom fellows meet: not a fellow, no account; reached by email only."""

    __tablename__ = "experts"
    __table_args__ = (
        CheckConstraint(f"meeting_mode IN {tuple(MEETING_MODES)}", name="meeting_mode"),
        Index("ix_experts_profile_words", "profile_words", postgresql_using="gin"),
    )

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
    #: PostgreSQL's English full-text document of the profile, written by a trigger (``PROFILE_WORDS_TRIGGER``);
    #: empty on SQLite. Never loaded: only matching's queries read it.
    profile_words: Mapped[str | None] = mapped_column(TSVECTOR().with_variant(Text(), "sqlite"), deferred=True)
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


class ExpertEmbedding(db.Model):
    """The embedding of an expert's title, department and biography (``programmes.experts.matching.semantic``),
    written when the profile is saved, imported or merged. A row older than the expert's ``updated_at``,
    or of another model, is stale: matching then embeds the profile afresh (in memory) until the next save."""

    __tablename__ = "expert_embeddings"

    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id", ondelete="CASCADE"), primary_key=True)
    #: Which model made the vector, e.g. "wordllama-0.4.0.post1/l2_supercat-256".
    model: Mapped[str] = mapped_column(String(80))
    #: float32 values, unit length (little-endian bytes): 256 of them, 1 KB.
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    #: SHA-256 of the text embedded: a save that changes no word of the profile embeds nothing.
    text_hash: Mapped[str] = mapped_column(String(64))
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Foreign keys matching and list pages use (migration 0011_indexes).
Index("ix_experts_organisation_id", Expert.organisation_id)
Index("ix_expert_topics_tag_id", expert_topics.c.tag_id)
for statement in (PROFILE_WORDS_FUNCTION, PROFILE_WORDS_TRIGGER):
    event.listen(Expert.__table__, "after_create", DDL(statement).execute_if(dialect="postgresql"))
