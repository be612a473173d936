"""Events, speakers, invitations, bookings and the record of changes to published events."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    inspect,
    select,
    update,
)
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.models import Tag, UTCDateTime, utcnow
from extensions import db
from fellows.models import Organisation, User

EVENT_KINDS = {
    "lunch": "Policy lunch",
    "workshop": "Workshop",
    "seminar": "Seminar",
    "roundtable": "Roundtable",
    "lecture": "Lecture",
    "conference": "Conference",
    "other": "Other",
}
AUDIENCES = {
    "public": "Public: anyone may book",
    "fellows": "Fellows only",
    "invitation": "Invitation only",
}
EVENT_STATES = ("draft", "published", "cancelled")
#: Events fall in these years: calendars carry time-zone rules for the span of their events, and a typo
#: such as 9999 would otherwise break every feed that lists the event.
EVENT_YEARS = range(1970, 2101)
#: More places than any venue or call has; it also keeps the number within an INTEGER column.
MAX_CAPACITY = 100_000
BOOKING_STATES = ("confirmed", "waitlisted", "cancelled")
ATTENDANCE = ("attended", "no_show")
#: Whom an organiser's message to an event's bookers goes to.
MESSAGE_AUDIENCES = {
    "confirmed": "People with a confirmed place",
    "waitlisted": "People on the waitlist",
    "all": "Everyone booked or on the waitlist",
}

event_topics = Table(
    "event_topics",
    db.metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Event(db.Model):
    """A policy lunch, workshop, seminar … with its lifecycle: draft → published → cancelled."""

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint(f"kind IN {tuple(EVENT_KINDS)}", name="kind"),
        CheckConstraint(f"audience IN {tuple(AUDIENCES)}", name="audience"),
        CheckConstraint(f"state IN {EVENT_STATES}", name="state"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The iCalendar UID: fixed when the event is created and never changed.
    uid: Mapped[str] = mapped_column(String(80), unique=True, default=lambda: f"{uuid.uuid4()}")
    #: The UID of the .ics entry this event was imported from: importing the same file again matches it.
    import_uid: Mapped[str | None] = mapped_column(String(255), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="lunch")
    summary: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    venue_name: Mapped[str | None] = mapped_column(String(200))
    venue_address: Mapped[str | None] = mapped_column(String(500))
    online_url: Mapped[str | None] = mapped_column(String(500))
    host_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    #: None means unlimited places.
    capacity: Mapped[int | None] = mapped_column(Integer)
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    audience: Mapped[str] = mapped_column(String(20), default="fellows")
    state: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    #: iCalendar SEQUENCE: bumped by every change that matters to an attendee (time, place, cancellation).
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    #: Bumped under lock by every booking change, which serialises bookings of one event.
    booking_version: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    host: Mapped[Organisation | None] = relationship(lazy="joined")
    speakers: Mapped[list[Speaker]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Speaker.position"
    )
    topics: Mapped[list[Tag]] = relationship(secondary=event_topics, order_by=Tag.name)
    bookings: Mapped[list[Booking]] = relationship(back_populates="event", cascade="all, delete-orphan")
    invitations: Mapped[list[EventInvitation]] = relationship(back_populates="event", cascade="all, delete-orphan")

    @property
    def kind_label(self) -> str:
        return EVENT_KINDS.get(self.kind, self.kind)

    @property
    def is_published(self) -> bool:
        return self.state == "published"

    @property
    def is_cancelled(self) -> bool:
        return self.state == "cancelled"

    @property
    def is_past(self) -> bool:
        return self.ends_at <= utcnow()

    def count_bookings(self, state: str) -> int:
        return (
            db.session.scalar(select(func.count(Booking.id)).where(Booking.event_id == self.id, Booking.state == state))
            or 0
        )

    @property
    def confirmed_count(self) -> int:
        return self.count_bookings("confirmed")

    @property
    def waitlist_length(self) -> int:
        return self.count_bookings("waitlisted")

    @property
    def places_left(self) -> int | None:
        """None when capacity is unlimited."""
        if self.capacity is None:
            return None
        return max(self.capacity - self.confirmed_count, 0)

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.title!r} {self.state}>"


class Speaker(db.Model):
    """A speaker at an event, optionally linked to an organisation and to a fellow's profile."""

    __tablename__ = "speakers"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    honorific: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    fellow_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    event: Mapped[Event] = relationship(back_populates="speakers")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    fellow: Mapped[User | None] = relationship()

    @property
    def display_name(self) -> str:
        return f"{self.honorific} {self.name}" if self.honorific else self.name


class EventInvitation(db.Model):
    """A fellow invited to an invitation-only event."""

    __tablename__ = "event_invitations"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the fellow declined; cleared if they book after all.
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship(back_populates="invitations")
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class Booking(db.Model):
    """A fellow's place at an event: confirmed, waitlisted or cancelled.

    One row per fellow and event: booking again after cancelling reuses the row. When an
    account is deleted the row stays with no user, so the event's numbers do not change.
    """

    __tablename__ = "bookings"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id"),
        CheckConstraint(f"state IN {BOOKING_STATES}", name="state"),
        CheckConstraint(f"attendance IS NULL OR attendance IN {ATTENDANCE}", name="attendance"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    state: Mapped[str] = mapped_column(String(12))
    #: When the fellow joined the queue: waitlist order is by this, then by id.
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the place was confirmed (on booking or promotion); None while waitlisted; kept on cancelling.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dietary_requirements: Mapped[str | None] = mapped_column(String(500))
    access_needs: Mapped[str | None] = mapped_column(String(500))
    comment: Mapped[str | None] = mapped_column(String(1000))
    attendance: Mapped[str | None] = mapped_column(String(10))
    #: Set when an organiser added or removed the booking by hand.
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    event: Mapped[Event] = relationship(back_populates="bookings")
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    @property
    def waitlist_position(self) -> int | None:
        """1 for the first person on the waitlist; None unless waitlisted."""
        if self.state != "waitlisted":
            return None
        ahead = db.session.scalar(
            select(func.count(Booking.id)).where(
                Booking.event_id == self.event_id,
                Booking.state == "waitlisted",
                (Booking.requested_at < self.requested_at)
                | ((Booking.requested_at == self.requested_at) & (Booking.id < self.id)),
            )
        )
        return (ahead or 0) + 1


class EventMessage(db.Model):
    """An email an organiser wrote to an event's bookers: who sent it, when, to whom and how many got it."""

    __tablename__ = "event_messages"
    __table_args__ = (CheckConstraint(f"audience IN {tuple(MESSAGE_AUDIENCES)}", name="audience"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    audience: Mapped[str] = mapped_column(String(12))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    recipient_count: Mapped[int] = mapped_column(Integer, default=0)
    #: The one-time token of the preview the message was sent from: a second submit of it sends nothing.
    send_token: Mapped[str] = mapped_column(String(64), unique=True)

    event: Mapped[Event] = relationship()
    sent_by: Mapped[User | None] = relationship()

    @property
    def audience_label(self) -> str:
        return MESSAGE_AUDIENCES.get(self.audience, self.audience)


class CateringRecord(db.Model):
    """The catering numbers of a past event, kept when its dietary and access answers are purged.

    The answers are special-category data and go RETENTION_BOOKING_ANSWERS_DAYS after the event
    (``flask purge``); the counts of each need, which name nobody, stay for planning the next one.
    """

    __tablename__ = "catering_records"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    #: [[need, number of people], …] as ``catering_summary`` counted them.
    dietary: Mapped[list] = mapped_column(JSON, default=list)
    access: Mapped[list] = mapped_column(JSON, default=list)
    purged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EventChange(db.Model):
    """The audit trail of a published event: who changed which fields, and when."""

    __tablename__ = "event_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: {"field": [old, new], ...} as display strings.
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    summary: Mapped[str | None] = mapped_column(String(300))

    user: Mapped[User | None] = relationship()


# Keeping updated_at honest -----------------------------------------------------------------------


@sa_event.listens_for(Session, "before_flush")
def _touch_events_with_changed_details(session: Session, flush_context, instances) -> None:
    """What a calendar shows from other tables (speakers, topics, host names) counts as a change of the event."""
    touched: set[Event] = set()
    organisation_ids: set[int] = set()
    tag_ids: set[int] = set()
    with session.no_autoflush:
        for obj in list(session.dirty) + list(session.new) + list(session.deleted):
            if isinstance(obj, Speaker):
                if obj in session.new or obj in session.deleted or session.is_modified(obj):
                    loaded = "event" not in inspect(obj).unloaded
                    parent = obj.event if loaded else (obj.event_id and session.get(Event, obj.event_id))
                    if parent is not None and parent not in session.new:
                        touched.add(parent)
            elif isinstance(obj, Event) and obj not in session.new:
                attrs = inspect(obj).attrs
                if attrs.topics.history.has_changes() or attrs.speakers.history.has_changes():
                    touched.add(obj)
            elif isinstance(obj, Organisation) and obj in session.dirty and session.is_modified(obj):
                organisation_ids.add(obj.id)
            elif isinstance(obj, Tag) and obj in session.dirty and session.is_modified(obj):
                tag_ids.add(obj.id)
        now = utcnow()
        for parent in touched:
            if parent not in session.deleted:
                parent.updated_at = now
        events = Event.__table__
        if organisation_ids:
            hosted = events.c.host_id.in_(organisation_ids)
            spoken = events.c.id.in_(select(Speaker.event_id).where(Speaker.organisation_id.in_(organisation_ids)))
            session.connection().execute(update(events).where(hosted | spoken).values(updated_at=now))
        if tag_ids:
            tagged = select(event_topics.c.event_id).where(event_topics.c.tag_id.in_(tag_ids))
            session.connection().execute(update(events).where(events.c.id.in_(tagged)).values(updated_at=now))


# Foreign keys and the columns list pages filter and sort on (migration 0011_indexes): joins and
# ON DELETE actions use them, and list pages read a page of rows instead of scanning the table.
Index("ix_events_ends_at", Event.ends_at)
Index("ix_events_updated_at", Event.updated_at)  # the calendar feeds' fingerprint: the latest change
Index("ix_events_host_id", Event.host_id)
Index("ix_events_created_by_id", Event.created_by_id)
Index("ix_event_topics_tag_id", event_topics.c.tag_id)
Index("ix_bookings_changed_by_id", Booking.changed_by_id)
Index("ix_event_changes_user_id", EventChange.user_id)
Index("ix_event_invitations_invited_by_id", EventInvitation.invited_by_id)
Index("ix_event_messages_sent_by_id", EventMessage.sent_by_id)
Index("ix_speakers_fellow_id", Speaker.fellow_id)
Index("ix_speakers_organisation_id", Speaker.organisation_id)
