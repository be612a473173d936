"""Which events each calendar feed holds, and a cheap fingerprint of a feed for conditional requests.

Clients poll feeds (hourly or more often), so a feed's ETag comes from one light query over the rows
that decide its content (ids, LAST-MODIFIED, SEQUENCE, states); only when it differs from the client's
copy is the calendar itself built. For that to be sound, an event's ``updated_at`` must move whenever
anything a calendar shows about it changes — the flush hook at the end makes sure edits of speakers,
topics and organisation names count too, not only changes to the event's own columns. The same
fingerprint keys the built feeds in the shared cache, for clients that poll without conditional requests.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, selectinload

from core.caching import SharedStore, cache_get, cache_set, code_version
from core.ical_settings import calendar_settings
from core.models import utcnow
from core.registry import personal_calendar
from events.calendar.ical import EntryData, event_data
from events.models import Booking, Event, EventInvitation
from events.urls import event_url_builder

#: The public feed keeps the recent past, so that attendees still find last month's event.
PUBLIC_PAST = timedelta(days=90)
#: Personal and organiser feeds keep a year of history.
PERSONAL_PAST = timedelta(days=365)
LISTED_STATES = ("published", "cancelled")


@dataclass(frozen=True)
class FeedEntry:
    """One event in one feed, with how this feed shows it."""

    event: Event
    status_override: str | None = None
    summary_prefix: str | None = None
    private_details: bool = False
    for_organiser: bool = False


def entry_data(entries: list[FeedEntry]) -> list[EntryData]:
    url_for_event = event_url_builder()
    settings = calendar_settings()
    return [
        event_data(
            entry.event,
            settings=settings,
            url=url_for_event(entry.event),
            status_override=entry.status_override,
            for_organiser=entry.for_organiser,
            private_details=entry.private_details,
            summary_prefix=entry.summary_prefix,
        )
        for entry in entries
    ]


def _with_details(query):
    return query.options(selectinload(Event.speakers), selectinload(Event.topics))


# The public feed ---------------------------------------------------------------------------------


def _public_where(now: datetime):
    return (
        Event.audience == "public",
        Event.state.in_(LISTED_STATES),
        Event.ends_at >= now - PUBLIC_PAST,
    )


def public_entries(session: Session, now: datetime | None = None) -> list[FeedEntry]:
    """Published public events, upcoming and recent; cancelled ones stay so that clients remove them."""
    now = now or utcnow()
    query = _with_details(select(Event).where(*_public_where(now)).order_by(Event.starts_at, Event.id))
    return [FeedEntry(event) for event in session.scalars(query)]


def public_fingerprint(session: Session, now: datetime | None = None) -> tuple[str, datetime | None]:
    """(ETag, Last-Modified) of the public feed, from one light query."""
    now = now or utcnow()
    rows = session.execute(
        select(Event.id, Event.updated_at, Event.sequence, Event.state)
        .where(*_public_where(now))
        .order_by(Event.starts_at, Event.id)
    ).all()
    return _digest("public", rows), max((row.updated_at for row in rows), default=None)


# Personal feeds ----------------------------------------------------------------------------------


def _booking_rows(user, now: datetime, *columns):
    return (
        select(*columns)
        .join(Booking, Booking.event_id == Event.id)
        .where(
            Booking.user_id == user.id,
            Booking.state.in_(("confirmed", "waitlisted")),
            Event.state.in_(LISTED_STATES),
            Event.ends_at >= now - PERSONAL_PAST,
        )
        .order_by(Event.starts_at, Event.id)
    )


def _invitation_rows(user, now: datetime, *columns):
    # An invitation the person already answered (booked, waitlisted or cancelled) shows as that booking.
    any_booking = exists().where(Booking.event_id == Event.id, Booking.user_id == user.id)
    return (
        select(*columns)
        .join(EventInvitation, EventInvitation.event_id == Event.id)
        .where(
            EventInvitation.user_id == user.id,
            Event.state.in_(LISTED_STATES),
            Event.ends_at >= now - PERSONAL_PAST,
            ~any_booking,
        )
        .order_by(Event.starts_at, Event.id)
    )


def _organiser_rows(now: datetime, *columns):
    return select(*columns).where(Event.ends_at >= now - PERSONAL_PAST).order_by(Event.starts_at, Event.id)


def personal_entries(session: Session, user, now: datetime | None = None) -> list[FeedEntry]:
    """The events of one person's feed: never anybody else's bookings.

    Fellows: their confirmed places, their waitlisted ones (tentative), and if they chose so the
    events they are invited to (tentative). Organisers: every event, drafts marked.
    """
    now = now or utcnow()
    if user.is_organiser:
        events = session.scalars(_with_details(_organiser_rows(now, Event)))
        return [FeedEntry(event, private_details=True, for_organiser=True) for event in events]
    entries = []
    for event, state in session.execute(_with_details(_booking_rows(user, now, Event, Booking.state))):
        if state == "confirmed":
            entries.append(FeedEntry(event, private_details=True))
        else:
            entries.append(FeedEntry(event, status_override="TENTATIVE", summary_prefix="Waiting list:"))
    if user.calendar_include_invitations:
        for event in session.scalars(_with_details(_invitation_rows(user, now, Event))):
            entries.append(FeedEntry(event, status_override="TENTATIVE", summary_prefix="Invited:"))
    entries.sort(key=lambda entry: (entry.event.starts_at, entry.event.id))
    return entries


def personal_fingerprint(session: Session, user, now: datetime | None = None) -> tuple[str, datetime | None]:
    """(ETag, Last-Modified) of a personal feed: its events' versions plus the person's booking states."""
    now = now or utcnow()
    columns = (Event.id, Event.updated_at, Event.sequence, Event.state)
    if user.is_organiser:
        rows = session.execute(_organiser_rows(now, *columns)).all()
        booking_times: list[datetime] = []
    else:
        rows = session.execute(_booking_rows(user, now, *columns, Booking.state)).all()
        if user.calendar_include_invitations:
            rows += session.execute(_invitation_rows(user, now, *columns)).all()
        # A cancelled booking leaves the feed: its time moves Last-Modified on (the latest of each, in SQL).
        latest = session.execute(
            select(
                func.max(Booking.requested_at), func.max(Booking.confirmed_at), func.max(Booking.cancelled_at)
            ).where(Booking.user_id == user.id)
        ).one()
        booking_times = [value for value in latest if value is not None]
    key = f"personal:{user.id}:{user.role}:{user.calendar_include_invitations}"
    stamps = [row.updated_at for row in rows] + booking_times
    rows = [tuple(row) for row in rows]
    for name, part in personal_calendar.items():  # what other areas add (core.registry), e.g. meetings
        part_rows, changed = part.fingerprint(user, now)
        rows += [(name, *row) for row in part_rows]
        stamps += [changed] if changed else []
    return _digest(key, rows), max(stamps, default=None)


def other_entries(user, now: datetime | None = None) -> list[EntryData]:
    """The entries other areas add to the person's feed (core.registry.personal_calendar)."""
    now = now or utcnow()
    return [entry for part in personal_calendar for entry in part.entries(user, now)]


def _digest(key: str, rows) -> str:
    config = current_app.config
    settings = [
        config.get(name) for name in ("BASE_URL", "TIMEZONE", "APP_NAME", "MAIL_DEFAULT_SENDER", "CALENDAR_UID_DOMAIN")
    ]
    # The code's version too: a deployment whose code writes calendars differently gives every feed a new
    # ETag, so clients fetch the new form and no machine serves a body built by other code.
    hasher = hashlib.sha256(f"{code_version()}|{key}|{settings!r}".encode())
    for row in rows:
        hasher.update(repr(tuple(row)).encode())
    return hasher.hexdigest()[:32]


class FeedCache:
    """Built feed bodies by ETag in the shared cache (``core.caching``: Redis when ``REDIS_URL`` is set), so
    a client that polls without a conditional request (some do) gets the stored bytes after one light
    query, whichever worker on whichever machine answers. The ETag is the feed's content fingerprint (with
    the code's version): a change is a new key, so nothing is ever invalidated and nothing stale is ever
    served."""

    #: Entries outlive the feeds' hourly polling; an ETag nobody asks for again simply expires.
    timeout = 24 * 3600

    def get_or_build(self, etag: str, build: Callable[[], bytes]) -> bytes:
        key = f"feed:{etag}"
        body = cache_get(key)
        if body is None:
            body = build()
            cache_set(key, body, timeout=self.timeout)
        return body


feed_cache = FeedCache()
#: Each event's serialised VEVENT by its content, shared like the feeds (``core.lib.ical.feed_bytes``).
vevent_store = SharedStore("vevent:")
