"""Day-before reminders for people with a confirmed place (``flask reminders send``, e.g. hourly from cron).

Functions change models and flush; the caller (a view or the CLI) commits once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.mail import queue_email, queue_once
from core.models import utcnow
from events.models import Booking, Event
from events.urls import event_url
from extensions import db
from fellows.models import User
from fellows.unsubscribe import unsubscribe_link

#: Reminders go out this long before an event starts.
REMINDER_LEAD = timedelta(hours=24)


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

    def queue(key: str, booking: Booking) -> None:
        event, user = booking.event, booking.user
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
            event_link=event_url(event),
            show_online_link=True,  # reminders go only to confirmed places at published events
            secrets={"unsubscribe_link": unsubscribe_link(user, "reminders")},
        )

    return queue_once({reminder_key(b, b.event): partial(queue, booking=b) for b in bookings})
