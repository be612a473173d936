"""The organisers' attendee page and the changes made from it: adding a fellow by hand, removing a
booking, moving someone off the waitlist, changing the capacity, recording attendance."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from core import audit
from core.models import utcnow
from core.permissions import acting_user, organiser_required
from core.request_args import whole_number
from core.timeutil import to_local
from events.bookings import services as bookings
from events.bookings.lists import DELETED_ACCOUNT, attendee_lists, attendee_name, bookable_fellows, catering_summary
from events.forms import AddBookingForm, AttendanceForm, CapacityForm
from events.models import Booking, Event
from events.pages import event_or_404
from extensions import db
from fellows.models import User

#: Fellows offered at most by the "add a fellow" search (one more is read to tell that there are more).
FIND_LIMIT = 20


def _fellow_label(user: User) -> str:
    organisation = f" · {user.organisation.name}" if user.organisation else ""
    return f"{user.display_name} ({user.email}){organisation}"


def render_attendees(event: Event, *, add_form=None, capacity_form=None, error=None, status: int = 200):
    find = (request.args.get("find") or "").strip()[:200]
    matches = bookable_fellows(event, find, FIND_LIMIT) if find else []
    add_form = add_form or AddBookingForm(formdata=None)
    if not add_form.fellow_id.choices:
        add_form.fellow_id.choices = [(str(user.id), _fellow_label(user)) for user in matches[:FIND_LIMIT]]
    capacity_form = capacity_form or CapacityForm(formdata=None, data={"capacity": event.capacity})
    may_record = to_local(utcnow()).date() >= to_local(event.starts_at).date()
    return render_template(
        "events/attendees.html",
        event=event,
        lists=attendee_lists(event),
        catering=catering_summary(event),
        find=find,
        more_matches=len(matches) > FIND_LIMIT,
        add_form=add_form,
        capacity_form=capacity_form,
        error=error,
        may_record_attendance=may_record,
        deleted_label=DELETED_ACCOUNT,
        title=f"Attendees: {event.title}",
    ), status


@organiser_required
def attendees(event_id: int):
    """Confirmed, waitlisted and cancelled bookings (paged), the catering summary and the organiser's tools,
    with a search for fellows to add by hand (?find=)."""
    return render_attendees(event_or_404(event_id))


def _bookable_fellow(event: Event, fellow_id) -> User | None:
    """The active fellow ``fellow_id`` names, if they have no current booking for ``event``."""
    user = db.session.get(User, whole_number(fellow_id)) if whole_number(fellow_id) is not None else None
    if user is None or user.role != "fellow" or not user.active:
        return None
    current = db.session.scalar(
        select(Booking.id).where(Booking.event_id == event.id, Booking.user_id == user.id, Booking.state != "cancelled")
    )
    return None if current else user


def _after_change(event: Event, message: str, promoted: list[Booking] | None = None):
    db.session.commit()
    if promoted:
        names = ", ".join(attendee_name(b) for b in promoted)
        message += f" Moved off the waitlist: {names}."
    flash(message, "success")
    return redirect(url_for("events.attendees", event_id=event.id))


@organiser_required
def add_booking(event_id: int):
    """Book a fellow in by hand (confirmed while places remain, otherwise waitlisted)."""
    event = event_or_404(event_id)
    form = AddBookingForm()
    fellow = _bookable_fellow(event, form.fellow_id.data)
    form.fellow_id.choices = [(str(fellow.id), _fellow_label(fellow))] if fellow else []
    if not form.validate_on_submit() or fellow is None:
        if fellow is None and form.fellow_id.data:
            form.fellow_id.errors = ["That fellow already has a booking or can no longer be booked: search again"]
        return render_attendees(event, add_form=form, status=400)
    try:
        booking = bookings.add_booking_by_hand(
            acting_user(),
            event,
            fellow,
            dietary_requirements=form.dietary_requirements.data,
            access_needs=form.access_needs.data,
            comment=form.comment.data,
        )
    except bookings.BookingError as error:
        db.session.rollback()
        return render_attendees(event, error=str(error), status=409)
    outcome = "has a confirmed place" if booking.state == "confirmed" else "is on the waitlist (the event is full)"
    audit.record(
        acting_user(), "booking.added", f"{fellow.name} {outcome.split(' (')[0]}: {event.title}", f"event {event.id}"
    )
    return _after_change(event, f"{fellow.display_name} {outcome}.")


@organiser_required
def change_capacity(event_id: int):
    """Change the number of places; raising it moves people off the waitlist in order."""
    event = event_or_404(event_id)
    form = CapacityForm()
    if not form.validate_on_submit():
        return render_attendees(event, capacity_form=form, status=400)
    try:
        promoted = bookings.change_capacity(acting_user(), event, form.capacity.data)
    except bookings.BookingError as error:
        db.session.rollback()
        form.capacity.errors = [str(error)]
        return render_attendees(event, capacity_form=form, status=400)
    places = "unlimited" if form.capacity.data is None else form.capacity.data
    return _after_change(event, f"Capacity set to {places}.", promoted)


def _booking_action(booking_id: int, action, message: str):
    booking = db.get_or_404(Booking, booking_id)
    event = booking.event
    try:
        result = action(booking)
    except bookings.BookingError as error:
        db.session.rollback()
        return render_attendees(event, error=str(error), status=409)
    return _after_change(
        event, message.format(name=attendee_name(booking)), result if isinstance(result, list) else None
    )


@organiser_required
def remove_booking(booking_id: int):
    """Cancel someone's booking on their behalf; they are emailed and the waitlist moves up."""

    def remove(booking: Booking):
        promoted = bookings.remove_booking(acting_user(), booking)
        audit.record(
            acting_user(),
            "booking.removed",
            f"{attendee_name(booking)}: {booking.event.title}",
            f"booking {booking.id}",
        )
        return promoted

    return _booking_action(booking_id, remove, "The booking of {name} is cancelled.")


@organiser_required
def promote_booking(booking_id: int):
    """Move one person off the waitlist now (adding a place if the event is full)."""

    def move(booking):
        raised = bookings.move_off_waitlist(acting_user(), booking)
        return " The event was full, so one place was added." if raised else ""

    booking = db.get_or_404(Booking, booking_id)
    event = booking.event
    try:
        note = move(booking)
    except bookings.BookingError as error:
        db.session.rollback()
        return render_attendees(event, error=str(error), status=409)
    return _after_change(event, f"{attendee_name(booking)} now has a confirmed place.{note}")


@organiser_required
def record_attendance(booking_id: int):
    """Record on the day whether a confirmed person attended or did not show."""
    booking = db.get_or_404(Booking, booking_id)
    form = AttendanceForm()
    if not form.validate_on_submit():
        return render_attendees(booking.event, error="Choose attended or no-show.", status=400)
    value = form.attendance.data or None
    return _booking_action(
        booking_id, lambda b: bookings.record_attendance(acting_user(), b, value), "Attendance recorded for {name}."
    )
