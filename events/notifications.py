"""Booking and event emails, queued in the caller's transaction through the mail outbox.

These are essential messages about a person's own place, so they go whatever the person's
preferences for optional mail (reminders, write-ups) are.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.ical_settings import calendar_settings
from core.mail import queue_email
from core.models import OutboxMessage
from events.calendar.ical import ics_attachment
from events.changes import FIELD_LABELS
from events.models import Booking, Event
from events.urls import event_url
from extensions import db


def _queue(
    booking: Booking, template: str, subject: str, kind: str, *, ics_method: str | None = None, **context
) -> OutboxMessage | None:
    user = booking.user
    if user is None:  # the account was deleted; its place is kept but there is nobody to write to
        return None
    event = booking.event
    # The event's .ics: REQUEST puts it in (or updates) the person's calendar, CANCEL takes it out.
    attachment = (
        ics_attachment(
            event,
            settings=calendar_settings(),
            url=event_url(event),
            method=ics_method,
            attendee=(user.email, user.display_name),
        )
        if ics_method
        else None
    )
    return queue_email(
        user.email,
        subject,
        template,
        kind=kind,
        user_id=user.id,
        attachment=attachment,
        user=user,
        event=event,
        booking=booking,
        event_link=event_url(event),
        # The joining link is for people with a place at an event that is going ahead, as on the event page
        # and in the .ics; waitlist, cancellation and "cancelled event" emails leave it out.
        show_online_link=booking.state == "confirmed" and event.state == "published",
        **context,
    )


def booking_confirmed(booking: Booking) -> OutboxMessage | None:
    return _queue(
        booking,
        "booking_confirmed",
        f"Your place is confirmed: {booking.event.title}",
        "booking_confirmed",
        ics_method="REQUEST",
    )


def booking_waitlisted(booking: Booking) -> OutboxMessage | None:
    position = booking.waitlist_position
    return _queue(
        booking,
        "booking_waitlisted",
        f"You are number {position} on the waitlist: {booking.event.title}",
        "booking_waitlisted",
        position=position,
    )


def booking_promoted(booking: Booking) -> OutboxMessage | None:
    return _queue(
        booking,
        "booking_promoted",
        f"A place has come up for you: {booking.event.title}",
        "booking_promoted",
        ics_method="REQUEST",
    )


def booking_cancelled(booking: Booking, *, was_waitlisted: bool, by_organiser: bool = False) -> OutboxMessage | None:
    return _queue(
        booking,
        "booking_cancelled",
        f"Your booking is cancelled: {booking.event.title}",
        "booking_cancelled",
        by_organiser=by_organiser,
        was_waitlisted=was_waitlisted,
        ics_method=None if was_waitlisted else "CANCEL",
    )


def _active_bookings(event: Event) -> list[Booking]:
    return list(
        db.session.scalars(
            select(Booking)
            .where(Booking.event_id == event.id, Booking.state.in_(("confirmed", "waitlisted")))
            .options(selectinload(Booking.user))
            .order_by(Booking.id)
        )
    )


def event_changed(event: Event, changed_fields: list[str]) -> list[OutboxMessage]:
    """Tell everyone with a place or on the waitlist that the time or place has changed."""
    labels = [FIELD_LABELS.get(field, field).lower() for field in changed_fields]
    messages = [
        _queue(
            booking,
            "event_changed",
            f"Changed: {event.title}",
            "event_changed",
            changed=labels,
            ics_method="REQUEST" if booking.state == "confirmed" else None,
        )
        for booking in _active_bookings(event)
    ]
    return [m for m in messages if m is not None]


def event_cancelled(event: Event) -> list[OutboxMessage]:
    """Tell everyone with a place or on the waitlist that the event is cancelled, and why."""
    messages = [
        _queue(
            booking,
            "event_cancelled",
            f"Cancelled: {event.title}",
            "event_cancelled",
            ics_method="CANCEL" if booking.state == "confirmed" else None,
        )
        for booking in _active_bookings(event)
    ]
    return [m for m in messages if m is not None]
