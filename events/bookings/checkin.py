"""The check-in page for the day of an event: find a confirmed person by name, one tap records that they came
(or undoes it). Plain links and forms, one POST per tap, so it works on a phone without JavaScript."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from core.models import utcnow
from core.permissions import acting_user, organiser_required
from core.request_args import whole_number
from core.timeutil import format_date, to_local
from events.bookings import services as bookings
from events.bookings.lists import DELETED_ACCOUNT, attendee_name, check_in_page, checked_in_count
from events.forms import CheckInForm
from events.models import Booking, Event
from events.pages import event_or_404
from extensions import db

#: People a check-in page shows at once: a phone scrolls through 50 names; a search finds anyone else.
CHECK_IN_PER_PAGE = 50

#: What each tap says once done, by the attendance it recorded.
DONE = {
    "attended": "{name} is checked in.",
    "no_show": "{name} is marked as a no-show.",
    "": "{name}: check-in undone.",
}


def _published(event: Event) -> Event:
    """Check-in is for published events: a draft has nobody to check in, a cancelled event nobody coming."""
    if event.state != "published":
        abort(404)
    return event


def day_notice(event: Event) -> tuple[str | None, bool]:
    """(A notice when today is not the event's day, whether attendance may be recorded today).

    Attendance is recorded from the event's first day on (``record_attendance`` refuses it earlier), so
    before that the page lists people without buttons; afterwards, late recording is allowed but flagged.
    """
    today = to_local(utcnow()).date()
    first, last = to_local(event.starts_at).date(), to_local(event.ends_at).date()
    day = format_date(event.starts_at, "%A %-d %B %Y")
    if today < first:
        return f"This event is on {day}: check-in opens that day.", False
    if today > last:
        return f"This event was on {day}. You can still record who came.", True
    return None, True


def render_check_in(event: Event, *, find: str, waiting: bool, error: str | None = None, status: int = 200):
    notice, may_check_in = day_notice(event)
    checked_in, confirmed = checked_in_count(event)
    return render_template(
        "events/check_in.html",
        event=event,
        people=check_in_page(event, find, waiting, CHECK_IN_PER_PAGE),
        checked_in=checked_in,
        confirmed=confirmed,
        find=find,
        waiting=waiting,
        notice=notice,
        may_check_in=may_check_in,
        error=error,
        deleted_label=DELETED_ACCOUNT,
        title=f"Check-in: {event.title}",
    ), status


@organiser_required
def check_in(event_id: int):
    """The confirmed people of a published event, found by name (?find=, ?waiting=1 for those not yet in),
    with a button each to check them in, mark a no-show or undo, and "checked in N of M" at the top."""
    event = _published(event_or_404(event_id))
    find = (request.args.get("find") or "").strip()[:200]
    return render_check_in(event, find=find, waiting=request.args.get("waiting") == "1")


@organiser_required
def check_in_booking(booking_id: int):
    """One tap: record attended, no-show or nothing (undo) for a confirmed place, then go back to the same
    search and page, scrolled to the person."""
    booking = db.get_or_404(Booking, booking_id)
    event = _published(booking.event)
    form = CheckInForm()
    find, waiting = form.find.data or "", form.waiting.data == "1"
    if not form.validate_on_submit():
        return render_check_in(event, find=find, waiting=waiting, error="Choose attended or no-show.", status=400)
    attendance = form.attendance.data or ""
    try:
        bookings.record_attendance(acting_user(), booking, attendance or None)
    except bookings.BookingError as error:
        db.session.rollback()
        return render_check_in(event, find=find, waiting=waiting, error=str(error), status=409)
    db.session.commit()
    flash(DONE[attendance].format(name=attendee_name(booking)), "success")
    page = whole_number(form.page.data)
    return redirect(
        url_for(
            "events.check_in",
            event_id=event.id,
            find=find or None,
            waiting="1" if waiting else None,
            page=page if page and page > 1 else None,
            _anchor=f"booking-{booking.id}",
        )
    )
