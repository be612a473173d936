"""Who may see, book and manage events: one helper per rule, shared by views, services and templates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, false, select

from core.models import utcnow
from core.permissions import is_organiser
from core.timeutil import format_datetime
from events.models import Booking, Event, EventInvitation
from extensions import db


def can_manage_events(user) -> bool:
    """Create, edit, publish, cancel and duplicate events; see attendee lists and history."""
    return is_organiser(user)


def can_edit_event(user, event: Event) -> bool:
    return is_organiser(user)


def can_see_attendees(user, event: Event) -> bool:
    """Attendee lists carry names and needs: organisers only."""
    return is_organiser(user)


def can_view_event(user, event: Event) -> bool:
    """Drafts are for organisers; public events are for everyone; other audiences need a sign-in."""
    if is_organiser(user):
        return True
    if event.state == "draft":
        return False
    if event.audience == "public":
        return True
    return bool(user and user.is_authenticated)


def needs_sign_in(user, event: Event) -> bool:
    """A published or cancelled event that a signed-in person could see but an anonymous one cannot.

    Anonymous visitors are asked to sign in for these; drafts answer 404 to everyone but organisers.
    """
    return event.state != "draft" and event.audience != "public" and not (user and user.is_authenticated)


def visible_events_clause(user):
    """The SQL condition for events listed to ``user`` on /events (drafts live on the organiser page)."""
    listed = Event.state.in_(("published", "cancelled"))
    if user and user.is_authenticated:
        return listed
    return and_(listed, Event.audience == "public")


def is_invited(user, event: Event) -> bool:
    return invitation_for(user, event) is not None


def invitation_for(user, event: Event) -> EventInvitation | None:
    """The person's invitation to the event (declined or not), if they have one."""
    if not (user and user.is_authenticated):
        return None
    return db.session.scalar(
        select(EventInvitation).where(EventInvitation.event_id == event.id, EventInvitation.user_id == user.id)
    )


def registration_state(event: Event, now: datetime | None = None) -> str:
    """ "not_yet", "open" or "closed": the registration window, ignoring who is asking.

    Without explicit times registration is open from publication until the event starts.
    """
    now = now or utcnow()
    if event.registration_opens_at and now < event.registration_opens_at:
        return "not_yet"
    closes = event.registration_closes_at or event.starts_at
    if now >= min(closes, event.starts_at):
        return "closed"
    return "open"


#: The refusal an anonymous visitor gets for an event they could book once signed in.
SIGN_IN_TO_BOOK = "Sign in to book a place."


def booking_refusal(user, event: Event, booking: Booking | None = None, now: datetime | None = None) -> str | None:
    """Why ``user`` may not book ``event`` now, as a message for them; None when they may.

    ``booking`` is the user's existing booking row for the event, if any.
    """
    now = now or utcnow()
    # What holds for everyone comes first: an anonymous visitor to a past event is told it is over,
    # not invited to sign in and book it.
    if event.state == "draft":
        return "This event is not open for booking yet."
    if event.state == "cancelled":
        return "This event has been cancelled."
    if now >= event.ends_at:
        return "This event is over."
    if now >= event.starts_at:
        return "This event has already started, so it can no longer be booked."
    window = registration_state(event, now)
    if window == "not_yet":
        return f"Booking opens on {format_datetime(event.registration_opens_at)}."
    if window == "closed":
        return "Booking for this event has closed."
    if not (user and user.is_authenticated):
        return SIGN_IN_TO_BOOK
    if event.audience == "invitation" and not is_invited(user, event):
        return "This event is by invitation only."
    if booking is not None and booking.state == "confirmed":
        return "You already have a place at this event."
    if booking is not None and booking.state == "waitlisted":
        return "You are already on the waitlist for this event."
    return None


def can_book(user, event: Event, booking: Booking | None = None) -> bool:
    return booking_refusal(user, event, booking) is None


def can_cancel_booking(user, booking: Booking) -> bool:
    """Only the fellow who holds a booking may cancel it (organisers remove bookings instead)."""
    return bool(user and user.is_authenticated and booking.user_id == user.id)


def cancellation_refusal(booking: Booking, now: datetime | None = None) -> str | None:
    """Why a booking cannot be cancelled now; None when it can."""
    now = now or utcnow()
    if booking.state == "cancelled":
        return "This booking is already cancelled."
    if booking.event.state == "cancelled":
        return "This event has been cancelled, so there is nothing to cancel."
    if now >= booking.event.ends_at:
        return "This event is over."
    if now >= booking.event.starts_at:
        return "This event has already started, so the booking can no longer be cancelled."
    return None


def invited_clause(user):
    """SQL condition: the event is one ``user`` was invited to (false for anonymous visitors)."""
    if not (user and user.is_authenticated):
        return false()
    return Event.invitations.any(EventInvitation.user_id == user.id)
