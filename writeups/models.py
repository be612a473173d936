"""Write-ups of events, their further reading, revisions, review links and Chatham House confirmations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from core.lib.tokens import hash_token
from core.models import StoredImage, Tag, UTCDateTime, utcnow
from events.models import Event
from extensions import db
from fellows.models import User
from writeups.subjects import WriteupSubject, describer

NOTE_STATES = {
    "draft": "Draft",
    "in_review": "In review",
    "published": "Published",
    "unpublished": "Unpublished",
}
NOTE_AUDIENCES = {
    "public": "Public: anyone, including people who are not signed in",
    "fellows": "Fellows: anyone signed in",
    "attendees": "Attendees: only people who attended this event (and organisers)",
}
REVIEW_DECISIONS = {"approve": "Approved", "comment": "Commented"}

note_topics = Table(
    "note_topics",
    db.metadata,
    Column("note_id", ForeignKey("notes.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


@dataclass(frozen=True)
class NoteAbout:
    """What a note is a write-up of, as pages show it: an event, or a subject another area describes."""

    kind_label: str
    title: str
    starts_at: datetime | None
    #: The event's id, for a write-up of an event.
    event_id: int | None = None


class Note(db.Model):
    """A write-up of (a session of) an event, or of a subject another area describes (a fellow's visit
    programme): draft → in review → published → unpublished."""

    __tablename__ = "notes"
    __table_args__ = (
        CheckConstraint(f"state IN {tuple(NOTE_STATES)}", name="state"),
        CheckConstraint(f"audience IN {tuple(NOTE_AUDIENCES)}", name="audience"),
        CheckConstraint(
            "event_id IS NOT NULL OR (subject_kind IS NOT NULL AND subject_id IS NOT NULL)", name="written_up"
        ),
        Index("ix_notes_subject", "subject_kind", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The Atom entry id: fixed at creation so feed readers never see a note twice.
    uid: Mapped[str] = mapped_column(String(40), unique=True, default=lambda: str(uuid.uuid4()))
    #: The event written up; None for a write-up of a subject (below).
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    #: A write-up of something that is not an event: its kind in writeups.subjects.KINDS ("visit")
    #: and its id there. The owning area describes it, so this area needs no import of it.
    subject_kind: Mapped[str | None] = mapped_column(String(30))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    #: Plain text shown in listings, the feed and emails.
    summary: Mapped[str] = mapped_column(String(500), default="")
    #: Markdown, rendered through core.lib.markdown (sanitised) for readers.
    body: Mapped[str] = mapped_column(Text, default="")
    image_id: Mapped[int | None] = mapped_column(ForeignKey("stored_images.id", ondelete="SET NULL"))
    image_caption: Mapped[str | None] = mapped_column(String(300))
    #: e.g. "Image: tablet use 1 (flickr)".
    image_credit: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    #: When the note was first published; kept when it is unpublished and published again.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    audience: Mapped[str] = mapped_column(String(20), default="fellows")
    chatham_house: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Optimistic lock: every UPDATE checks and bumps it, so a stale save fails instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __mapper_args__ = {"version_id_col": version}

    event: Mapped[Event | None] = relationship()
    image: Mapped[StoredImage | None] = relationship()
    topics: Mapped[list[Tag]] = relationship(secondary=note_topics, order_by=Tag.name)
    links: Mapped[list[NoteLink]] = relationship(
        back_populates="note", cascade="all, delete-orphan", order_by="NoteLink.position"
    )
    revisions: Mapped[list[NoteRevision]] = relationship(
        back_populates="note", cascade="all, delete-orphan", order_by="NoteRevision.number.desc()"
    )
    review_links: Mapped[list[NoteReviewLink]] = relationship(
        back_populates="note", cascade="all, delete-orphan", order_by="NoteReviewLink.id"
    )
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])

    @property
    def state_label(self) -> str:
        return NOTE_STATES.get(self.state, self.state)

    @property
    def audience_label(self) -> str:
        return {"public": "Public", "fellows": "Fellows only", "attendees": "Attendees only"}[self.audience]

    @property
    def is_published(self) -> bool:
        return self.state == "published"

    @cached_property
    def subject(self) -> WriteupSubject | None:
        """What a write-up of something other than an event is of (None for an event's write-up, or when
        the thing is gone). The first note asked describes every note of the same kind loaded in its
        session at once, so a list of write-ups costs one lookup, not one per write-up."""
        describe = describer(self.subject_kind)
        if describe is None or self.subject_id is None:
            return None
        session = object_session(self)
        siblings = [
            note
            for note in (session.identity_map.values() if session is not None else ())
            if isinstance(note, Note) and note.subject_kind == self.subject_kind and "subject" not in note.__dict__
        ]
        described = describe({self.subject_id, *(note.subject_id for note in siblings)})
        for note in siblings:
            if note is not self:
                note.__dict__["subject"] = described.get(note.subject_id)
        return described.get(self.subject_id)

    @property
    def about(self) -> NoteAbout:
        if self.event is not None:
            return NoteAbout(self.event.kind_label, self.event.title, self.event.starts_at, self.event.id)
        if self.subject is not None:
            return NoteAbout(self.subject.kind_label, self.subject.title, self.subject.starts_at)
        return NoteAbout("Write-up", "Something no longer recorded", None)

    def __repr__(self) -> str:
        return f"<Note {self.id} {self.title!r} {self.state}>"


class NoteLink(db.Model):
    """A further-reading link under a note (e.g. a speaker's latest thinking)."""

    __tablename__ = "note_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    #: Only http(s) addresses are accepted (checked by the form and the service).
    url: Mapped[str] = mapped_column(String(500))

    note: Mapped[Note] = relationship(back_populates="links")


class NoteRevision(db.Model):
    """A snapshot of a note as one save left it; the newest revision is the note's current text."""

    __tablename__ = "note_revisions"
    __table_args__ = (UniqueConstraint("note_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), index=True)
    #: 1, 2, 3 … per note.
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[str] = mapped_column(String(20))
    chatham_house: Mapped[bool] = mapped_column(Boolean, default=False)
    image_id: Mapped[int | None] = mapped_column(ForeignKey("stored_images.id", ondelete="SET NULL"))
    image_caption: Mapped[str | None] = mapped_column(String(300))
    image_credit: Mapped[str | None] = mapped_column(String(200))
    #: [{"title": ..., "url": ...}, ...]
    links: Mapped[list] = mapped_column(JSON, default=list)
    #: Topic names at the time (a topic deleted since is skipped on restore).
    topics: Mapped[list] = mapped_column(JSON, default=list)
    #: "Created", "Saved", "Restored revision 3" …
    reason: Mapped[str] = mapped_column(String(200), default="Saved")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    note: Mapped[Note] = relationship(back_populates="revisions")
    created_by: Mapped[User | None] = relationship()


class NoteReviewLink(db.Model):
    """A private link that lets a speaker or named fellow read a draft and respond, without an account.

    Only a hash of the token is stored, so a copy of the database cannot be used to read drafts.
    """

    __tablename__ = "note_review_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    reviewer_name: Mapped[str] = mapped_column(String(200))
    reviewer_email: Mapped[str] = mapped_column(String(320))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    note: Mapped[Note] = relationship(back_populates="review_links")
    created_by: Mapped[User | None] = relationship()
    responses: Mapped[list[NoteReviewResponse]] = relationship(
        back_populates="link", cascade="all, delete-orphan", order_by="NoteReviewResponse.id"
    )

    hash = staticmethod(hash_token)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class NoteReviewResponse(db.Model):
    """A reviewer's approval of, or comment on, the draft they were sent."""

    __tablename__ = "note_review_responses"
    __table_args__ = (CheckConstraint(f"decision IN {tuple(REVIEW_DECISIONS)}", name="decision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("note_review_links.id", ondelete="CASCADE"), index=True)
    decision: Mapped[str] = mapped_column(String(10))
    comment: Mapped[str | None] = mapped_column(Text)
    #: The revision the reviewer read, so organisers know whether later edits came after it.
    revision_number: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    link: Mapped[NoteReviewLink] = relationship(back_populates="responses")

    @property
    def decision_label(self) -> str:
        return REVIEW_DECISIONS[self.decision]


class ChathamHouseConfirmation(db.Model):
    """An organiser's deliberate decision to publish a Chatham House note that names someone."""

    __tablename__ = "chatham_house_confirmations"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), index=True)
    #: The words as they appear in the note, e.g. "Dr Thompson".
    mention: Mapped[str] = mapped_column(String(300))
    #: Who is named, e.g. "Dr Mark Thompson (speaker)".
    person: Mapped[str] = mapped_column(String(300))
    #: "speaker:12" or "attendee:34": the same person is recognised again at the next publication.
    person_key: Mapped[str] = mapped_column(String(40))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    confirmed_by: Mapped[User | None] = relationship()


class NoteDraftStash(db.Model):
    """The fields of an edit form that arrived after its session had expired, kept until the author
    signs in again (at most a day). Only a hash of the key in the link is stored."""

    __tablename__ = "note_draft_stashes"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: None when the text was for a new note of ``event_id``.
    note_id: Mapped[int | None] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    hash = staticmethod(hash_token)


# Foreign keys and the columns list pages filter and sort on (migration 0011_indexes): joins and
# ON DELETE actions use them, and list pages read a page of rows instead of scanning the table.
Index("ix_notes_created_by_id", Note.created_by_id)
Index("ix_notes_updated_by_id", Note.updated_by_id)
Index("ix_notes_image_id", Note.image_id)
Index("ix_note_topics_tag_id", note_topics.c.tag_id)
Index("ix_chatham_house_confirmations_confirmed_by_id", ChathamHouseConfirmation.confirmed_by_id)
Index("ix_note_draft_stashes_event_id", NoteDraftStash.event_id)
Index("ix_note_review_links_created_by_id", NoteReviewLink.created_by_id)
Index("ix_note_revisions_created_by_id", NoteRevision.created_by_id)
Index("ix_note_revisions_image_id", NoteRevision.image_id)
