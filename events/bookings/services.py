"""The booking state machine: the one place where bookings change state. Functions flush; the view commits.

Booking states: (none) → confirmed | waitlisted → cancelled, and waitlisted → confirmed on promotion.
Every function that changes bookings first takes the event's lock (``lock_event``) and only then counts
places, so two people can never both take the last place, on SQLite or on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import selectinload

from core.errors import ServiceError
from core.lib.wording import plural
from core.models import utcnow
from core.timeutil import to_local
from events import notifications
from events.access import booking_refusal, can_cancel_booking, cancellation_refusal
from events.changes import diff_event, record_change
from events.models import ATTENDANCE, Booking, Event, EventInvitation
from extensions import db
from fellows.models import User


class BookingError(ServiceError):
    """A booking change that is refused; the message is safe to show to the person."""


# The per-event lock ------------------------------------------------------------------------------


def lock_event(event: Event) -> None:
    """Serialise booking changes of one event until the transaction ends, then re-read the event.

    The UPDATE takes the row lock on PostgreSQL and the database write lock on SQLite (which waits
    up to busy_timeout), so whoever gets here second sees the first one's committed bookings.
    """
    db.session.execute(text("UPDATE events SET booking_version = booking_version + 1 WHERE id = :id"), {"id": event.id})
    db.session.refresh(event)


def _find_booking(event: Event, user: User) -> Booking | None:
    return db.session.scalar(
        select(Booking)
        .where(Booking.event_id == event.id, Booking.user_id == user.id)
        .execution_options(populate_existing=True)
    )


def _has_free_place(event: Event) -> bool:
    """A place is free only if nobody is already waiting for it (the waitlist goes first)."""
    if event.count_bookings("waitlisted"):
        return False
    return event.capacity is None or event.count_bookings("confirmed") < event.capacity


def _place(booking: Booking, confirmed: bool, now: datetime) -> None:
    booking.state = "confirmed" if confirmed else "waitlisted"
    booking.requested_at = now
    booking.confirmed_at = now if confirmed else None
    booking.cancelled_at = None
    booking.attendance = None


def _take_place(
    event: Event, fellow: User, booking: Booking | None, by: User | None, now: datetime, **answers: str | None
) -> Booking:
    """Confirm ``fellow`` if a place is free, else put them at the end of the waitlist; tell them which.

    The caller holds the event's lock and has checked that the booking may be made.
    """
    confirmed = _has_free_place(event)
    if booking is None:
        booking = Booking(event_id=event.id, user_id=fellow.id)
        db.session.add(booking)
    _place(booking, confirmed, now)
    booking.changed_by_id = by.id if by else None
    booking.dietary_requirements = answers.get("dietary_requirements")
    booking.access_needs = answers.get("access_needs")
    booking.comment = answers.get("comment")
    db.session.flush()
    if confirmed:
        notifications.booking_confirmed(booking)
    else:
        notifications.booking_waitlisted(booking)
    return booking


# Fellows book and cancel -------------------------------------------------------------------------


def book_place(
    user: User,
    event: Event,
    *,
    dietary_requirements: str | None = None,
    access_needs: str | None = None,
    comment: str | None = None,
) -> Booking:
    """Give ``user`` a confirmed place if one is free, otherwise a place at the end of the waitlist.

    Booking again after a cancellation reuses the row and joins the queue afresh.
    """
    lock_event(event)
    booking = _find_booking(event, user)
    now = utcnow()
    refusal = booking_refusal(user, event, booking, now)
    if refusal:
        raise BookingError(refusal)
    invitation = _invitation(event, user)
    if invitation is not None:
        invitation.declined_at = None  # declined, then booked after all
    return _take_place(
        event,
        user,
        booking,
        None,
        now,
        dietary_requirements=dietary_requirements,
        access_needs=access_needs,
        comment=comment,
    )


def _invitation(event: Event, user: User) -> EventInvitation | None:
    return db.session.scalar(
        select(EventInvitation).where(EventInvitation.event_id == event.id, EventInvitation.user_id == user.id)
    )


def decline_invitation(user: User, event: Event) -> EventInvitation:
    """The invited fellow cannot come: the organiser sees it on the invitations page. A fellow with a place
    cancels the booking instead (that frees the place for the waitlist)."""
    invitation = _invitation(event, user)
    if invitation is None:
        raise BookingError("You are not invited to this event.")
    booking = _find_booking(event, user)
    if booking is not None and booking.state != "cancelled":
        raise BookingError(
            "You have a place at this event: cancel your booking instead, so that it goes to someone else."
        )
    if event.state == "cancelled" or event.starts_at <= utcnow():
        raise BookingError("This event is no longer taking answers.")
    if invitation.declined_at is None:
        invitation.declined_at = utcnow()
    db.session.flush()
    return invitation


def cancel_booking(user: User, booking: Booking) -> list[Booking]:
    """The fellow gives up their place (or waitlist spot); a freed place goes to the first person waiting.

    Returns the bookings promoted as a result.
    """
    event = booking.event
    lock_event(event)
    db.session.refresh(booking)
    if not can_cancel_booking(user, booking):
        raise BookingError("You can only cancel your own booking.")
    refusal = cancellation_refusal(booking)
    if refusal:
        raise BookingError(refusal)
    was_confirmed = booking.state == "confirmed"
    booking.state = "cancelled"
    booking.cancelled_at = utcnow()
    db.session.flush()
    notifications.booking_cancelled(booking, was_waitlisted=not was_confirmed)
    return fill_places(event) if was_confirmed else []


# Waitlist promotion ------------------------------------------------------------------------------


def fill_places(event: Event, by: User | None = None) -> list[Booking]:
    """Confirm people from the head of the waitlist while places are free. The caller holds the lock."""
    now = utcnow()
    if event.state != "published" or now >= event.starts_at:
        # Nobody is offered a place at a cancelled event or one that is already under way.
        return []
    confirmed = event.count_bookings("confirmed")
    waiting = db.session.scalars(
        select(Booking)
        .where(Booking.event_id == event.id, Booking.state == "waitlisted")
        .order_by(Booking.requested_at, Booking.id)
        .execution_options(populate_existing=True)
    ).all()
    promoted = []
    for booking in waiting:
        if event.capacity is not None and confirmed >= event.capacity:
            break
        booking.state = "confirmed"
        booking.confirmed_at = now
        booking.changed_by_id = by.id if by else None
        confirmed += 1
        promoted.append(booking)
    db.session.flush()
    for booking in promoted:
        notifications.booking_promoted(booking)
    return promoted


def promote_waitlist(event: Event, by: User | None = None) -> list[Booking]:
    """Give every free place to the people waiting, in the order they joined the waitlist."""
    lock_event(event)
    return fill_places(event, by)


def move_off_waitlist(organiser: User, booking: Booking) -> bool:
    """An organiser confirms one waitlisted person now, ahead of the queue.

    When the event is full its capacity grows by one so that nobody else loses a place; returns
    True when that happened.
    """
    event = booking.event
    lock_event(event)
    db.session.refresh(booking)
    if booking.state != "waitlisted":
        raise BookingError("This person is not on the waitlist.")
    if event.state != "published":
        raise BookingError("Only bookings of a published event can be changed.")
    confirmed = event.count_bookings("confirmed")
    raised = event.capacity is not None and confirmed >= event.capacity
    if raised:
        old = event.capacity
        event.capacity = confirmed + 1
        record_change(
            event,
            organiser,
            {"capacity": [str(old), str(event.capacity)]},
            "Capacity raised to move someone off the waitlist",
        )
    booking.state = "confirmed"
    booking.confirmed_at = utcnow()
    booking.changed_by_id = organiser.id
    db.session.flush()
    notifications.booking_promoted(booking)
    return raised


# Organisers manage bookings ----------------------------------------------------------------------


def add_booking_by_hand(
    organiser: User,
    event: Event,
    fellow: User,
    *,
    dietary_requirements: str | None = None,
    access_needs: str | None = None,
    comment: str | None = None,
) -> Booking:
    """Book a fellow in on their behalf (audience and registration window do not apply to organisers)."""
    lock_event(event)
    if event.state != "published":
        raise BookingError("Only published events take bookings: publish the event first.")
    if utcnow() >= event.ends_at:
        raise BookingError("This event is over: bookings can no longer be added.")
    booking = _find_booking(event, fellow)
    if booking is not None and booking.state == "confirmed":
        raise BookingError(f"{fellow.display_name} already has a place.")
    if booking is not None and booking.state == "waitlisted":
        raise BookingError(f"{fellow.display_name} is already on the waitlist.")
    return _take_place(
        event,
        fellow,
        booking,
        organiser,
        utcnow(),
        dietary_requirements=dietary_requirements,
        access_needs=access_needs,
        comment=comment,
    )


def remove_booking(organiser: User, booking: Booking) -> list[Booking]:
    """An organiser cancels someone's booking; a freed place goes to the waitlist. Returns those promoted."""
    event = booking.event
    lock_event(event)
    db.session.refresh(booking)
    if booking.state == "cancelled":
        raise BookingError("This booking is already cancelled.")
    was_confirmed = booking.state == "confirmed"
    booking.state = "cancelled"
    booking.cancelled_at = utcnow()
    booking.changed_by_id = organiser.id
    db.session.flush()
    notifications.booking_cancelled(booking, was_waitlisted=not was_confirmed, by_organiser=True)
    return fill_places(event, organiser) if was_confirmed else []


def change_capacity(organiser: User, event: Event, capacity: int | None) -> list[Booking]:
    """Set the number of places (None: unlimited). Raising it promotes from the waitlist in order.

    Lowering it below the number of confirmed places is refused: nobody loses a place this way.
    """
    lock_event(event)
    if capacity is not None and capacity < 0:
        raise BookingError("The capacity cannot be negative.")
    confirmed = event.count_bookings("confirmed")
    if capacity is not None and capacity < confirmed:
        raise BookingError(
            f"The capacity cannot be lower than {confirmed}: "
            f"{plural(confirmed, 'person', 'people')} already {'has' if confirmed == 1 else 'have'} a confirmed place. "
            "Remove bookings first if you need fewer places."
        )
    if capacity != event.capacity:
        record_change(event, organiser, diff_event(event, {"capacity": capacity}))
        event.capacity = capacity
        db.session.flush()
    return fill_places(event, organiser)


def record_attendance(organiser: User, booking: Booking, attendance: str | None) -> None:
    """Mark a confirmed booking attended or no-show (None clears it), from the day of the event on."""
    lock_event(booking.event)
    db.session.refresh(booking)
    if attendance is not None and attendance not in ATTENDANCE:
        raise BookingError("Choose attended or no-show.")
    if booking.state != "confirmed":
        raise BookingError("Attendance is recorded for confirmed places only.")
    if to_local(utcnow()).date() < to_local(booking.event.starts_at).date():
        raise BookingError("Attendance can be recorded from the day of the event.")
    booking.attendance = attendance
    booking.changed_by_id = organiser.id
    db.session.flush()


def export_bookings(user: User) -> list[dict]:
    """A person's bookings, for their "Download my data" (registered with core.registry)."""
    bookings = db.session.scalars(
        select(Booking).where(Booking.user_id == user.id).options(selectinload(Booking.event)).order_by(Booking.id)
    )
    return [
        {
            "event": booking.event.title,
            "starts_at": booking.event.starts_at.isoformat(),
            "state": booking.state,
            "requested_at": booking.requested_at.isoformat(),
            "dietary_requirements": booking.dietary_requirements,
            "access_needs": booking.access_needs,
            "comment": booking.comment,
            "attendance": booking.attendance,
        }
        for booking in bookings
    ]


def export_invitations(user: User) -> list[dict]:
    """The invitation-only events a person was invited to, for "Download my data"."""
    invitations = db.session.scalars(
        select(EventInvitation)
        .where(EventInvitation.user_id == user.id)
        .options(selectinload(EventInvitation.event))
        .order_by(EventInvitation.id)
    )
    return [
        {
            "event": invitation.event.title,
            "starts_at": invitation.event.starts_at.isoformat(),
            "invited_at": invitation.created_at.isoformat(),
        }
        for invitation in invitations
    ]
