"""A fellow's own bookings: booking a place or joining the waitlist, cancelling, and "My bookings"."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.models import utcnow
from events.access import can_cancel_booking
from events.bookings import services as bookings
from events.forms import BookingForm
from events.models import Booking, Event
from events.pages import render_detail, viewable_event
from extensions import db


@login_required
def book(event_id: int):
    """Book a place (or join the waitlist when the event is full)."""
    event = viewable_event(event_id)
    form = BookingForm()
    if not form.validate_on_submit():
        return render_detail(event, form=form, status=400)
    try:
        booking = bookings.book_place(
            current_user._get_current_object(),
            event,
            dietary_requirements=form.dietary_requirements.data,
            access_needs=form.access_needs.data,
            comment=form.comment.data,
        )
    except bookings.BookingError as refusal:
        db.session.rollback()
        return render_detail(event, form=form, error=str(refusal), status=409)
    position = booking.waitlist_position
    db.session.commit()
    if booking.state == "confirmed":
        flash("Your place is confirmed. We have emailed you the details.", "success")
    else:
        flash(
            f"The event is full, so you are on the waitlist at position {position}. "
            "We will email you if a place comes up.",
            "warning",
        )
    return redirect(url_for("events.detail", event_id=event.id))


@login_required
def cancel_booking(booking_id: int):
    """A fellow cancels their own booking or leaves the waitlist; the next person waiting is promoted."""
    booking = db.get_or_404(Booking, booking_id)
    if not can_cancel_booking(current_user, booking):
        abort(404)  # as for a booking that does not exist: nobody learns which ids are someone's booking
    event = booking.event
    was_waitlisted = booking.state == "waitlisted"
    try:
        bookings.cancel_booking(current_user._get_current_object(), booking)
    except bookings.BookingError as refusal:
        db.session.rollback()
        return render_detail(event, error=str(refusal), status=409)
    db.session.commit()
    flash("You have left the waitlist." if was_waitlisted else "Your booking is cancelled.", "success")
    return redirect(url_for("events.detail", event_id=event.id))


@login_required
def my_bookings():
    """The signed-in person's upcoming and past bookings, with their status and waitlist position."""
    mine = db.session.scalars(
        select(Booking)
        .join(Booking.event)
        .where(Booking.user_id == current_user.id)
        .options(selectinload(Booking.event))
        .order_by(Event.starts_at)
    ).all()
    now = utcnow()
    upcoming = [b for b in mine if b.event.ends_at > now]
    past = sorted((b for b in mine if b.event.ends_at <= now), key=lambda b: b.event.starts_at, reverse=True)
    positions = {b.id: b.waitlist_position for b in upcoming if b.state == "waitlisted"}
    return render_template(
        "events/my_bookings.html", upcoming=upcoming, past=past, positions=positions, title="My bookings"
    )
