"""Event lifecycle and the booking state machine. Functions change models and flush; the view commits.

Booking states: (none) → confirmed | waitlisted → cancelled, and waitlisted → confirmed on promotion.
Every function that changes bookings first takes the event's lock (``lock_event``) and only then counts
places, so two people can never both take the last place, on SQLite or on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text

from core.models import Tag, utcnow
from core.timeutil import to_local
from events import notifications
from events.access import booking_refusal, can_cancel_booking, cancellation_refusal
from events.changes import EVENT_FIELDS, TIME_AND_PLACE, diff_event, record_change
from events.models import ATTENDANCE, Booking, Event, EventInvitation, Speaker
from extensions import db
from fellows.models import User
from fellows.services import ServiceError, find_or_create_organisation


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


def count_bookings(event: Event, state: str) -> int:
    return (
        db.session.scalar(select(func.count(Booking.id)).where(Booking.event_id == event.id, Booking.state == state))
        or 0
    )


def _find_booking(event: Event, user: User) -> Booking | None:
    return db.session.scalar(
        select(Booking)
        .where(Booking.event_id == event.id, Booking.user_id == user.id)
        .execution_options(populate_existing=True)
    )


def _has_free_place(event: Event) -> bool:
    """A place is free only if nobody is already waiting for it (the waitlist goes first)."""
    if count_bookings(event, "waitlisted"):
        return False
    return event.capacity is None or count_bookings(event, "confirmed") < event.capacity


def _place(booking: Booking, confirmed: bool, now: datetime) -> None:
    booking.state = "confirmed" if confirmed else "waitlisted"
    booking.requested_at = now
    booking.confirmed_at = now if confirmed else None
    booking.cancelled_at = None
    booking.attendance = None


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
    confirmed = _has_free_place(event)
    if booking is None:
        booking = Booking(event_id=event.id, user_id=user.id)
        db.session.add(booking)
    _place(booking, confirmed, now)
    booking.changed_by_id = None
    booking.dietary_requirements = dietary_requirements
    booking.access_needs = access_needs
    booking.comment = comment
    db.session.flush()
    if confirmed:
        notifications.booking_confirmed(booking)
    else:
        notifications.booking_waitlisted(booking)
    return booking


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
    return _fill_places(event) if was_confirmed else []


# Waitlist promotion ------------------------------------------------------------------------------


def _fill_places(event: Event, by: User | None = None) -> list[Booking]:
    """Confirm people from the head of the waitlist while places are free. The caller holds the lock."""
    now = utcnow()
    if event.state != "published" or now >= event.starts_at:
        # Nobody is offered a place at a cancelled event or one that is already under way.
        return []
    confirmed = count_bookings(event, "confirmed")
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
    return _fill_places(event, by)


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
    confirmed = count_bookings(event, "confirmed")
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
    confirmed = _has_free_place(event)
    if booking is None:
        booking = Booking(event_id=event.id, user_id=fellow.id)
        db.session.add(booking)
    _place(booking, confirmed, utcnow())
    booking.changed_by_id = organiser.id
    booking.dietary_requirements = dietary_requirements
    booking.access_needs = access_needs
    booking.comment = comment
    db.session.flush()
    if confirmed:
        notifications.booking_confirmed(booking)
    else:
        notifications.booking_waitlisted(booking)
    return booking


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
    return _fill_places(event, organiser) if was_confirmed else []


def change_capacity(organiser: User, event: Event, capacity: int | None) -> list[Booking]:
    """Set the number of places (None: unlimited). Raising it promotes from the waitlist in order.

    Lowering it below the number of confirmed places is refused: nobody loses a place this way.
    """
    lock_event(event)
    if capacity is not None and capacity < 0:
        raise BookingError("The capacity cannot be negative.")
    confirmed = count_bookings(event, "confirmed")
    if capacity is not None and capacity < confirmed:
        raise BookingError(
            f"{confirmed} people already have a confirmed place, so the capacity cannot be lower than {confirmed}. "
            "Remove bookings first if you need fewer places."
        )
    if capacity != event.capacity:
        record_change(event, organiser, diff_event(event, {"capacity": capacity}))
        event.capacity = capacity
        db.session.flush()
    return _fill_places(event, organiser)


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


# Event lifecycle ---------------------------------------------------------------------------------


def _check_event_data(data: dict) -> None:
    if data["ends_at"] <= data["starts_at"]:
        raise ServiceError("The event must end after it starts.")
    if data.get("capacity") is not None and data["capacity"] < 0:
        raise ServiceError("The capacity cannot be negative.")


def _resolve_speakers(data: dict) -> None:
    """Turn typed affiliation names into organisations, adding names the list does not have yet."""
    for row in data.get("speakers", []):
        if "organisation_name" in row:
            row["organisation"] = find_or_create_organisation(row.pop("organisation_name"))


def _build_speakers(rows: list[dict]) -> list[Speaker]:
    return [
        Speaker(
            position=i,
            honorific=row.get("honorific"),
            name=row["name"],
            role=row.get("role"),
            organisation=row.get("organisation"),
            fellow_id=row.get("fellow_id"),
        )
        for i, row in enumerate(rows)
    ]


def create_event(organiser: User, data: dict) -> Event:
    """A new draft from the organiser's form data (times already in UTC); only organisers see it."""
    _check_event_data(data)
    _resolve_speakers(data)
    event = Event(state="draft", created_by_id=organiser.id, **{field: data.get(field) for field in EVENT_FIELDS})
    event.topics = list(data.get("topics", []))
    event.speakers = _build_speakers(data.get("speakers", []))
    db.session.add(event)
    db.session.flush()
    return event


def update_event(organiser: User, event: Event, data: dict) -> dict:
    """Apply the organiser's edits; returns {field: [old, new]} for what changed.

    Changes to a published (or cancelled) event are recorded; a new time or place bumps the calendar
    SEQUENCE and tells everyone booked. Lowering the capacity below the confirmed places is refused.
    """
    _check_event_data(data)
    lock_event(event)  # a capacity change moves people off the waitlist, so bookings must be held still
    confirmed = count_bookings(event, "confirmed")
    if data.get("capacity") is not None and data["capacity"] < confirmed:
        raise BookingError(
            f"{confirmed} people already have a confirmed place, so the capacity cannot be lower than {confirmed}."
        )
    _resolve_speakers(data)
    changes = diff_event(event, data)
    if not changes:
        return {}
    for field in EVENT_FIELDS:
        if field in data:
            setattr(event, field, data[field])
    if "topics" in changes:
        event.topics = list(data["topics"])
    if "speakers" in changes:
        event.speakers.clear()
        db.session.flush()
        event.speakers.extend(_build_speakers(data["speakers"]))
    time_or_place = sorted(TIME_AND_PLACE & changes.keys())
    if time_or_place:
        event.sequence += 1
    if event.state != "draft":
        record_change(event, organiser, changes)
    db.session.flush()
    if time_or_place and event.state == "published" and event.ends_at > utcnow():
        notifications.event_changed(event, time_or_place)
    if "capacity" in changes:
        _fill_places(event, organiser)
    return changes


def publish_event(organiser: User, event: Event) -> None:
    """Make a draft visible to its audience and open for booking."""
    if event.state != "draft":
        raise ServiceError("Only a draft can be published.")
    event.state = "published"
    event.published_at = utcnow()
    record_change(event, organiser, {"state": ["draft", "published"]}, "Published")
    db.session.flush()


def cancel_event(organiser: User, event: Event, reason: str) -> None:
    """Cancel a published event: its page shows the reason, bookings are kept, everyone booked is told."""
    lock_event(event)  # nobody may book while the event is being cancelled
    if event.state != "published":
        raise ServiceError("Only a published event can be cancelled.")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Give a reason: it is shown on the event page and in the email to attendees.")
    event.state = "cancelled"
    event.cancellation_reason = reason
    event.sequence += 1
    record_change(event, organiser, {"state": ["published", "cancelled"]}, f"Cancelled: {reason}"[:300])
    db.session.flush()
    notifications.event_cancelled(event)


def delete_draft(organiser: User, event: Event) -> None:
    """Delete a draft nobody else has seen (published events are cancelled instead, keeping their record)."""
    if event.state != "draft":
        raise ServiceError("Only drafts can be deleted; cancel a published event instead.")
    db.session.delete(event)
    db.session.flush()


def duplicate_event(organiser: User, event: Event) -> Event:
    """A new draft with the same details, speakers and topics (e.g. the next lunch in a series)."""
    copy = Event(state="draft", created_by_id=organiser.id, **{field: getattr(event, field) for field in EVENT_FIELDS})
    copy.topics = list(event.topics)
    copy.speakers = [
        Speaker(
            position=s.position,
            honorific=s.honorific,
            name=s.name,
            role=s.role,
            organisation_id=s.organisation_id,
            fellow_id=s.fellow_id,
        )
        for s in event.speakers
    ]
    db.session.add(copy)
    db.session.flush()
    return copy


# Invitations -------------------------------------------------------------------------------------


def invite_fellows(organiser: User, event: Event, fellows: list[User]) -> int:
    """Invite fellows to an invitation-only event; returns how many were newly invited."""
    if event.audience != "invitation":
        raise ServiceError("Invitations are for invitation-only events: change the event's audience first.")
    if event.state == "cancelled":
        raise ServiceError("This event has been cancelled.")
    already = set(db.session.scalars(select(EventInvitation.user_id).where(EventInvitation.event_id == event.id)))
    added = 0
    for fellow in fellows:
        if fellow.id in already or fellow.role != "fellow":
            continue
        db.session.add(EventInvitation(event_id=event.id, user_id=fellow.id, invited_by_id=organiser.id))
        already.add(fellow.id)
        added += 1
    db.session.flush()
    return added


def invite_by_interest(organiser: User, event: Event, tag: Tag) -> int:
    """Invite every current, active fellow who lists ``tag`` among their interests."""
    fellows = db.session.scalars(
        select(User).where(
            User.role == "fellow",
            User.active.is_(True),
            User.fellow_status == "current",
            User.interests.any(Tag.id == tag.id),
        )
    ).all()
    return invite_fellows(organiser, event, list(fellows))


def withdraw_invitation(organiser: User, invitation: EventInvitation) -> None:
    """Take back an invitation; a place already booked is kept (remove the booking separately)."""
    db.session.delete(invitation)
    db.session.flush()
