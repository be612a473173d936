"""Booking and event emails, queued in the caller's transaction through the mail outbox.

Messages about a person's own place are essential, so they go whatever the person's preferences for
optional mail (reminders, write-ups) are. Invitations and organisers' messages to bookers go too;
announcements of new events go only to fellows who opted in, with a link to stop them.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.ical_settings import calendar_settings
from core.mail import queue_email, queue_once
from core.models import OutboxMessage, Tag
from core.urls import external_url
from events.calendar.ical import ics_attachment
from events.changes import FIELD_LABELS
from events.models import Booking, Event, EventInvitation, EventMessage
from events.urls import event_url
from extensions import db
from fellows.models import User
from fellows.unsubscribe import unsubscribe_link


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


# Messages that must go once: a dedupe key each ------------------------------------------------------


def _event_links(event: Event) -> dict[str, str]:
    return {"event_link": event_url(event), "ics_link": external_url("calendar.event_ics", event_id=event.id)}


def event_invitations(invitations: Iterable[EventInvitation]) -> int:
    """Email each invited fellow a link to the event page and its .ics; once per invitation.

    Nothing goes while the event is a draft (the invitee could not open its page): publishing it sends them.
    """
    keyed = {}
    for invitation in invitations:
        event, user = invitation.event, invitation.user
        if event.state != "published" or user is None or not user.active:
            continue

        def queue(key: str, event=event, user=user) -> None:
            queue_email(
                user.email,
                f"You are invited: {event.title}",
                "event_invitation",
                kind="event_invitation",
                user_id=user.id,
                dedupe_key=key,
                user=user,
                event=event,
                show_online_link=False,
                **_event_links(event),
            )

        keyed[f"event_invitation:{invitation.id}"] = queue
    return queue_once(keyed)


def announce_event(event: Event) -> int:
    """Tell opted-in fellows whose interests overlap the event's topics that it is open; once per event.

    Only events every fellow may see (public or fellows-only) are announced; invitations do the rest.
    """
    if event.state != "published" or event.audience not in ("public", "fellows") or event.is_past:
        return 0
    topic_ids = [tag.id for tag in event.topics]
    if not topic_ids:
        return 0
    fellows = db.session.scalars(
        select(User)
        .where(
            User.role == "fellow",
            User.active.is_(True),
            User.password_hash.is_not(None),
            User.notify_new_events.is_(True),
            User.interests.any(Tag.id.in_(topic_ids)),
        )
        .options(selectinload(User.interests))
        .order_by(User.id)
    ).all()
    keyed = {}
    for user in fellows:
        shared = [tag.name for tag in user.interests if tag.id in topic_ids]

        def queue(key: str, user=user, shared=shared) -> None:
            queue_email(
                user.email,
                f"New event: {event.title}",
                "event_announcement",
                kind="event_announcement",
                user_id=user.id,
                dedupe_key=key,
                user=user,
                event=event,
                shared_topics=shared,
                show_online_link=False,
                account_link=external_url("auth.account"),
                secrets={"unsubscribe_link": unsubscribe_link(user)},
                **_event_links(event),
            )

        keyed[f"event_announcement:{event.id}:{user.id}"] = queue
    return queue_once(keyed)


def message_recipients(event: Event, audience: str) -> list[Booking]:
    """The bookings an organiser's message to ``audience`` (confirmed, waitlisted, all) reaches."""
    states = ("confirmed", "waitlisted") if audience == "all" else (audience,)
    return [b for b in _active_bookings(event) if b.state in states and b.user is not None and b.user.active]


def event_message(message: EventMessage, bookings: list[Booking]) -> int:
    """Queue an organiser's message to each booker; one email per person and message."""
    keyed = {}
    for booking in bookings:

        def queue(key: str, booking=booking) -> None:
            _queue(
                booking,
                "event_message",
                message.subject,
                "event_message",
                message=message,
                sender=message.sent_by,
                dedupe_key=key,
            )

        keyed[f"event_message:{message.id}:{booking.user_id}"] = queue
    return queue_once(keyed)
