"""Personal calendar links, email preferences and day-before reminders.

Functions change models and flush; the caller (a view or the CLI) commits once.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from core.mail import queue_email
from core.models import OutboxMessage, utcnow
from events.calendar_feeds import event_page_url
from events.models import Booking, Event
from extensions import db
from fellows.models import User

#: Reminders go out this long before an event starts.
REMINDER_LEAD = timedelta(hours=24)


def _new_token() -> str:
    # 256 bits: the feed URL is the only thing protecting the feed, so it must not be guessable.
    return secrets.token_urlsafe(32)


def ensure_calendar_token(user: User) -> str:
    """The person's feed token, made on first use."""
    if not user.calendar_token:
        user.calendar_token = _new_token()
        db.session.flush()
    return user.calendar_token


def reset_calendar_token(user: User) -> str:
    """Replace the feed token: the old URL stops working at once (for anyone it was shared with)."""
    user.calendar_token = _new_token()
    db.session.flush()
    return user.calendar_token


def find_feed_owner(token: str) -> User | None:
    """The active account whose personal feed ``token`` opens, or None."""
    if not token or len(token) > 64:
        return None
    user = db.session.scalar(select(User).where(User.calendar_token == token))
    if user is None or not user.active:
        return None
    return user


def set_calendar_invitations(user: User, include: bool) -> None:
    """Choose whether the personal feed lists events the person is invited to but has not booked."""
    user.calendar_include_invitations = include
    db.session.flush()


def update_email_preferences(user: User, *, reminders: bool, writeups: bool) -> None:
    """The optional emails the person wants; essential ones (bookings, password resets) always go."""
    user.notify_reminders = reminders
    user.notify_writeups = writeups
    db.session.flush()


def reminder_key(booking: Booking, event: Event) -> str:
    """One reminder per person, event and start time: a moved event earns one more, nothing else does."""
    return f"reminder:{event.id}:{booking.user_id}:{event.starts_at:%Y%m%dT%H%MZ}"


def queue_reminders(now: datetime | None = None, lead: timedelta = REMINDER_LEAD) -> int:
    """Queue a reminder for every confirmed place at a published event starting within ``lead``.

    Safe to run as often as you like (cron every five minutes): each reminder has a dedupe key, so
    one that is already in the outbox — queued, sent or failed — is never queued again. People who
    turned reminders off, and deactivated accounts, get none. Returns how many were queued.
    """
    now = now or utcnow()
    bookings = db.session.scalars(
        select(Booking)
        .join(Event, Event.id == Booking.event_id)
        .join(User, User.id == Booking.user_id)
        .where(
            Booking.state == "confirmed",
            Event.state == "published",
            Event.starts_at > now,
            Event.starts_at <= now + lead,
            User.active.is_(True),
            User.notify_reminders.is_(True),
        )
        .options(selectinload(Booking.event), selectinload(Booking.user))
        .order_by(Event.starts_at, Booking.id)
    ).all()
    keys = {reminder_key(booking, booking.event): booking for booking in bookings}
    already = (
        set(db.session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys))))
        if keys
        else set()
    )
    queued = 0
    for key, booking in keys.items():
        if key in already:
            continue
        event, user = booking.event, booking.user
        # A savepoint per message: if another run queued the same reminder a moment ago, the unique
        # dedupe key refuses this copy and the rest still go.
        try:
            with db.session.begin_nested():
                queue_email(
                    user.email,
                    f"Reminder: {event.title}",
                    "reminder",
                    kind="reminder",
                    user_id=user.id,
                    dedupe_key=key,
                    user=user,
                    event=event,
                    booking=booking,
                    event_link=event_page_url(event),
                )
        except IntegrityError:
            continue
        queued += 1
    return queued
