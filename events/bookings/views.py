"""A fellow's own bookings: booking a place or joining the waitlist, cancelling, and "My bookings"."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from core.models import utcnow
from events.access import can_cancel_booking
from events.bookings import lists
from events.bookings import services as bookings
from events.forms import BookingForm
from events.models import Booking
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
def decline_invitation(event_id: int):
    """An invited fellow cannot come: they say so, and the organiser sees it with the invitations."""
    event = viewable_event(event_id)
    try:
        bookings.decline_invitation(current_user._get_current_object(), event)
    except bookings.BookingError as refusal:
        db.session.rollback()
        return render_detail(event, error=str(refusal), status=409)
    db.session.commit()
    flash(
        "Thank you for letting us know: you have declined the invitation. You can still book while places remain.",
        "success",
    )
    return redirect(url_for("events.detail", event_id=event.id))


@login_required
def cancel_booking(booking_id: int):
    """A fellow cancels their own booking or leaves the waitlist; the next person waiting is promoted."""
    booking = db.get_or_404(Booking, booking_id)
    if not can_cancel_booking(current_user, booking):
        abort(404)  # as for a booking that does not exist: nobody learns which ids are someone's booking
    event = booking.event
    try:
        bookings.cancel_booking(current_user._get_current_object(), booking)
    except bookings.BookingError as refusal:
        db.session.rollback()
        return render_detail(event, error=str(refusal), status=409)
    # Read what was given up only now: the booking may have been promoted while this request waited
    # for the event's lock (the soak, tests/app/test_soak.py, reconciles this message with the emails).
    was_waitlisted = booking.confirmed_at is None
    db.session.commit()
    flash("You have left the waitlist." if was_waitlisted else "Your booking is cancelled.", "success")
    return redirect(url_for("events.detail", event_id=event.id))


@login_required
def my_bookings():
    """The signed-in person's bookings: every upcoming one (with its waitlist position) on the first
    page, above their past bookings, which are paged (?page=), latest first."""
    now = utcnow()
    past = lists.past_bookings(current_user, now, current_app.config["PAGE_SIZE"])
    # Later pages are for looking back: the upcoming bookings stay on the first page only.
    upcoming = lists.upcoming_bookings(current_user, now) if past.page == 1 else []
    title = "My bookings" if past.page == 1 else f"My past bookings, page {past.page}"
    return render_template(
        "events/my_bookings.html",
        upcoming=upcoming,
        past=past,
        positions=lists.waitlist_positions(upcoming),
        title=title,
    )
