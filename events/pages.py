"""What several event pages share: loading an event for a viewer, and rendering the event page (which a
failed booking form shows again, with its error)."""

from __future__ import annotations

from flask import abort, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from events.access import (
    SIGN_IN_TO_BOOK,
    booking_refusal,
    can_edit_event,
    can_see_attendees,
    can_view_event,
    cancellation_refusal,
    invitation_for,
    registration_state,
)
from events.forms import BookingForm
from events.models import Booking, Event, Speaker
from events.presenters import event_json_ld, speakers_for
from extensions import db


def load_event(event_id: int) -> Event:
    event = db.session.scalar(
        select(Event)
        .where(Event.id == event_id)
        .options(selectinload(Event.topics), selectinload(Event.speakers).selectinload(Speaker.fellow))
    )
    if event is None:
        abort(404)
    return event


def viewable_event(event_id: int) -> Event:
    """The event, or 404 for those who may not know it exists."""
    event = load_event(event_id)
    if not can_view_event(current_user, event):
        abort(404)
    return event


def _own_booking(event: Event) -> Booking | None:
    if not current_user.is_authenticated:
        return None
    return db.session.scalar(select(Booking).where(Booking.event_id == event.id, Booking.user_id == current_user.id))


def render_detail(event: Event, *, form: BookingForm | None = None, error: str | None = None, status: int = 200):
    """The event page, also re-rendered with an error when a booking form fails."""
    booking = _own_booking(event)
    speakers = speakers_for(event, current_user)
    refusal = booking_refusal(current_user, event, booking)
    if form is None and refusal is None:
        # Only a page with the booking form carries a CSRF token: the same page for every anonymous
        # visitor (who is asked to sign in) stays free of one, so it can be shared (core.caching).
        form = BookingForm(formdata=None, obj=booking)
    invitation = invitation_for(current_user, event) if event.audience == "invitation" else None
    context = {
        "event": event,
        "booking": booking,
        "position": booking.waitlist_position if booking else None,
        "refusal": refusal,
        "sign_in_to_book": refusal == SIGN_IN_TO_BOOK,
        "cancel_refusal": cancellation_refusal(booking) if booking and booking.state != "cancelled" else None,
        "invitation": invitation,
        "invited": invitation is not None,
        "confirmed_count": event.confirmed_count,
        "waitlist_length": event.waitlist_length,
        "registration": registration_state(event),
        "speakers": speakers,
        "form": form,
        "error": error,
        "can_edit": can_edit_event(current_user, event),
        "can_see_attendees": can_see_attendees(current_user, event),
        # A joining link is for the people who have a place (as in the calendar files), not for every reader.
        "show_online_link": can_edit_event(current_user, event)
        or (booking is not None and booking.state == "confirmed"),
        "json_ld": event_json_ld(event, url_for("events.detail", event_id=event.id, _external=True), speakers),
        "title": event.title,
    }
    return render_template("events/detail.html", **context), status


def event_or_404(event_id: int) -> Event:
    """The event, whatever its state, for organisers' pages (which check the organiser first)."""
    return db.get_or_404(Event, event_id)
