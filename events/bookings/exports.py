"""The attendee list and the catering summary as CSV files (formula-safe), for organisers."""

from __future__ import annotations

from flask import Response
from flask_login import current_user

from core import audit
from core.lib.csvsafe import write_csv
from core.lib.wording import plural
from core.models import slugify
from core.permissions import organiser_required
from core.timeutil import format_datetime, to_local
from events.bookings.lists import attendee_name, catering_summary, load_attendees
from events.pages import event_or_404
from extensions import db

CSV_HEADER = [
    "Status",
    "Waitlist position",
    "Name",
    "Email",
    "Organisation",
    "Booked at",
    "Dietary requirements",
    "Access needs",
    "Comment",
    "Attendance",
    "Changed by an organiser",
]


def _csv_response(body: str, filename: str) -> Response:
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@organiser_required
def export_attendees(event_id: int):
    """Every booking as CSV (formula-safe): confirmed, then the waitlist in order, then cancellations."""
    event = event_or_404(event_id)
    people = load_attendees(event)
    rows = []
    for state, group in (
        ("confirmed", people.confirmed),
        ("waitlisted", people.waitlisted),
        ("cancelled", people.cancelled),
    ):
        for position, booking in enumerate(group, start=1):
            user = booking.user
            rows.append(
                [
                    state,
                    position if state == "waitlisted" else "",
                    attendee_name(booking),
                    user.email if user else "",
                    user.organisation.name if user and user.organisation else "",
                    format_datetime(booking.requested_at, "%Y-%m-%d %H:%M"),
                    booking.dietary_requirements or "",
                    booking.access_needs or "",
                    booking.comment or "",
                    {"attended": "attended", "no_show": "no-show"}.get(booking.attendance or "", ""),
                    "yes" if booking.changed_by_id else "",
                ]
            )
    filename = f"attendees-{slugify(event.title)[:60]}-{to_local(event.starts_at):%Y-%m-%d}.csv"
    body = write_csv(CSV_HEADER, rows)
    summary = f"{plural(len(rows), 'booking')} of {event.title}"
    audit.record(current_user, "attendees.exported", summary, f"event {event.id}")
    db.session.commit()
    return _csv_response(body, filename)


@organiser_required
def export_catering(event_id: int):
    """The catering summary as CSV: numbers per dietary requirement and access need, no names."""
    event = event_or_404(event_id)
    catering = catering_summary(event)
    rows = [["Confirmed places", "", catering.confirmed]]
    rows += [["Dietary requirement", need, number] for need, number in catering.dietary]
    rows += [["Access need", need, number] for need, number in catering.access]
    filename = f"catering-{slugify(event.title)[:60]}-{to_local(event.starts_at):%Y-%m-%d}.csv"
    return _csv_response(write_csv(["Kind", "Need", "Number of people"], rows), filename)
