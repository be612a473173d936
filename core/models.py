"""Models every area shares: the topic vocabulary, stored images and the mail outbox."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database.

    SQLite has no time zone type and hands back naive values; this makes both databases
    return aware UTC datetimes and refuses naive ones, so local/UTC mix-ups fail loudly.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC datetime is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


#: The longest slug (the length of Tag.slug).
SLUG_LENGTH = 80


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by hyphens, at most SLUG_LENGTH characters.

    The cap matters because NFKD can lengthen text ("ⅷ" becomes "viii"), so a slug may outgrow its name.
    """
    normalised = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", normalised.lower()).strip("-")
    return slug[:SLUG_LENGTH].rstrip("-")


class Tag(db.Model):
    """One term of the shared vocabulary: a fellow's policy interest and an event's or note's topic."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    slug: Mapped[str] = mapped_column(String(SLUG_LENGTH), unique=True)

    def __repr__(self) -> str:
        return f"<Tag {self.slug}>"


class StoredImage(db.Model):
    """An uploaded image after it was checked, resized and re-encoded (never the original bytes)."""

    __tablename__ = "stored_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


#: queued → sent; or failed (gave up after MAIL_MAX_ATTEMPTS), bounced (the receiving server refused the
#: address for good), skipped (optional mail to an address known to be undeliverable, core.mail.bounces).
OUTBOX_STATUSES = ("queued", "sent", "failed", "bounced", "skipped")


class OutboxMessage(db.Model):
    """An email waiting to be delivered, written in the same transaction as the change that caused it."""

    __tablename__ = "outbox_messages"
    __table_args__ = (CheckConstraint(f"status IN {OUTBOX_STATUSES}", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    #: Single-use links the bodies mention only by placeholder, encrypted (core.sealing); cleared once sent.
    sealed_values: Mapped[str | None] = mapped_column(Text)
    #: Optional attachment, e.g. an event's .ics invitation.
    attachment_name: Mapped[str | None] = mapped_column(String(120))
    attachment_type: Mapped[str | None] = mapped_column(String(120))
    attachment_data: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: What kind of message this is (invitation, password_reset, booking_confirmed, ...).
    kind: Mapped[str] = mapped_column(String(40), index=True)
    #: Stops a message that must go once (e.g. a reminder) from being queued twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    #: Where replies go (the organiser who sent it); None: the office's MAIL_REPLY_TO, if set.
    reply_to: Mapped[str | None] = mapped_column(String(320))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: When the sender may try again; grows after each failure.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the retention purge removed the bodies and attachment (``flask purge``); the row stays.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MailSuppression(db.Model):
    """An address mail cannot reach (a hard bounce): optional mail is no longer sent to it, mail a person
    needs still is (core.mail.bounces). An organiser clears it once the mailbox works again."""

    __tablename__ = "mail_suppressions"
    __table_args__ = (CheckConstraint("source IN ('smtp', 'dsn')", name="source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Lower-cased, so one mailbox is one row however the address was typed.
    address: Mapped[str] = mapped_column(String(320), unique=True)
    #: What the receiving side said, e.g. "550 5.1.1 <ada@example.org>: user unknown".
    reason: Mapped[str] = mapped_column(Text)
    #: "smtp": refused while the outbox sent; "dsn": a bounce report read by ``flask mail bounces``.
    source: Mapped[str] = mapped_column(String(10))
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UsedFormKey(db.Model):
    """A form's one-use key, kept once a submission has used it (core.forms.submit_once): a second
    submission of the same form (a double click, a resend after a slow answer) is told what the first was
    told instead of acting again. Only a hash of the key is kept, and only for a day (``flask purge``)."""

    __tablename__ = "used_form_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the signed-in person's id and the key, so one person's key means nothing for another's.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Where the first submission sent the browser (a path), for the repeat; NULL when it showed a page.
    answer: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class AuditEntry(db.Model):
    """One destructive or privacy-relevant action (who, what, when), kept for organisers to read.

    The summary names the thing acted on as it was then, so the entry still reads after the thing is
    gone; it never holds special-category answers or email bodies.
    """

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: Who acted; NULL for the command line and the scheduler, or once the account is deleted.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: The actor's name when they acted ("command line" for commands).
    actor_name: Mapped[str] = mapped_column(String(200))
    #: A dotted verb, e.g. ``booking.removed``, ``fellow.deactivated``, ``expert.erased``.
    action: Mapped[str] = mapped_column(String(60), index=True)
    #: What it was done to, e.g. ``event 12``; empty for actions on many things (an import, a purge).
    subject: Mapped[str | None] = mapped_column(String(80))
    summary: Mapped[str] = mapped_column(Text)


class JobRun(db.Model):
    """The scheduler's record of one background job: who may run it now (a lease), and how it last went.

    A scheduler claims a job by moving ``running_until`` forward in one conditional UPDATE, so two
    schedulers (on two machines, say) never run the same job at once.
    """

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    #: Until when the scheduler that claimed the job holds it; NULL or past means free.
    running_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: What the job said last time ("3 sent, 0 failed attempts"), or its error.
    last_result: Mapped[str | None] = mapped_column(Text)
    last_failed: Mapped[bool] = mapped_column(default=False)
