"""The issue's "Done when", walked through the pages as people would, and the .ics on every booking email."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import icalendar
from sqlalchemy import select

from events.models import Event
from extensions import db
from tests.events_helpers import event_form


def _ics(data: bytes) -> tuple[icalendar.Calendar, icalendar.Event]:
    parsed = icalendar.Calendar.from_ical(data)
    [vevent] = parsed.walk("VEVENT")
    return parsed, vevent


def test_done_when(app, client, login, make_organiser, make_fellow, outbox):
    organiser = login(make_organiser())
    fellow_user = make_fellow(name="Grace Hopper")
    fellow = login(fellow_user)

    # The organiser schedules and publishes a lunch at 12:30 London time in October (BST).
    created = organiser.post("/organiser/events/new", data=event_form(title="Compute and the state"))
    event_id = int(re.search(r"/events/(\d+)", created.headers["Location"]).group(1))
    assert organiser.post(f"/organiser/events/{event_id}/publish").status_code == 302

    # A fellow books a place and receives a confirmation with a calendar invitation.
    assert fellow.post(f"/events/{event_id}/book", data={}).status_code == 302
    [confirmation] = outbox(kind="booking_confirmed")
    assert confirmation.to_address == fellow_user.email
    assert confirmation.attachment_type == "text/calendar; method=REQUEST; charset=utf-8"
    invitation, vevent = _ics(confirmation.attachment_data)
    assert invitation["METHOD"] == "REQUEST"
    assert vevent.DTSTART.astimezone(UTC) == datetime(2030, 10, 15, 11, 30, tzinfo=UTC)
    uid = str(vevent["UID"])

    # … makes a personal feed address on "My calendar", shown once, and subscribes (no session needed to read it).
    assert fellow.post("/my/calendar/reset").status_code == 302
    page = fellow.get("/my/calendar").get_data(as_text=True)
    feed_url = re.search(r'value="http://localhost(/calendar/[^"]+\.ics)"', page).group(1)
    first = client.get(feed_url)
    _, entry = _ics(first.data)
    assert str(entry["UID"]) == uid
    assert entry["SEQUENCE"] == 0 and entry["STATUS"] == "CONFIRMED"
    assert entry["DTSTART"].to_ical() == b"20301015T123000" and entry["DTSTART"].params["TZID"] == "Europe/London"
    assert client.get(feed_url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304

    # The organiser moves the event by an hour: the feed shows the new time with a higher SEQUENCE…
    moved = organiser.post(
        f"/organiser/events/{event_id}/edit",
        data=event_form(title="Compute and the state", starts_at="2030-10-15T13:30", ends_at="2030-10-15T15:00"),
    )
    assert moved.status_code == 302
    second = client.get(feed_url, headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    _, entry = _ics(second.data)
    assert str(entry["UID"]) == uid
    assert entry["SEQUENCE"] == 1
    assert entry["DTSTART"].to_ical() == b"20301015T133000"
    assert entry.DTSTART.astimezone(UTC) == datetime(2030, 10, 15, 12, 30, tzinfo=UTC)
    # … and an update email is queued, carrying the updated invitation.
    [update] = outbox(kind="event_changed")
    assert update.to_address == fellow_user.email
    _, updated = _ics(update.attachment_data)
    assert str(updated["UID"]) == uid and updated["SEQUENCE"] == 1
    assert updated.DTSTART.astimezone(UTC) == datetime(2030, 10, 15, 12, 30, tzinfo=UTC)

    # The organiser cancels it: the feed marks it cancelled (so clients remove it), and a CANCEL is sent.
    assert (
        organiser.post(
            f"/organiser/events/{event_id}/cancel", data={"reason": "The minister is unavailable."}
        ).status_code
        == 302
    )
    _, entry = _ics(client.get(feed_url).data)
    assert entry["STATUS"] == "CANCELLED" and entry["SEQUENCE"] == 2 and str(entry["UID"]) == uid
    [cancellation] = outbox(kind="event_cancelled")
    cancel, cancelled = _ics(cancellation.attachment_data)
    assert cancel["METHOD"] == "CANCEL" and cancelled["STATUS"] == "CANCELLED" and str(cancelled["UID"]) == uid

    # The fellow resets the feed address: the old one answers 404 at once, the new one works.
    assert fellow.post("/my/calendar/reset").status_code == 302
    assert client.get(feed_url).status_code == 404
    page = fellow.get("/my/calendar").get_data(as_text=True)
    new_url = re.search(r'value="http://localhost(/calendar/[^"]+\.ics)"', page).group(1)
    assert new_url != feed_url
    _, entry = _ics(client.get(new_url).data)
    assert str(entry["UID"]) == uid and entry["STATUS"] == "CANCELLED"
    with app.app_context():
        assert db.session.scalar(select(Event.sequence).where(Event.id == event_id)) == 2


def test_every_booking_email_carries_the_right_calendar_part(app, login, make_event, make_fellow, outbox):
    first, second = make_fellow(), make_fellow()
    event_id = make_event(
        title="Small seminar", capacity=1, starts_at=datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
    )
    a, b = login(first), login(second)
    assert a.post(f"/events/{event_id}/book", data={}).status_code == 302
    assert b.post(f"/events/{event_id}/book", data={}).status_code == 302
    # The waitlisted person gets no invitation: the event is not theirs (yet).
    [waitlisted] = outbox(kind="booking_waitlisted")
    assert waitlisted.attachment_data is None

    with app.app_context():
        from events.models import Booking

        booking_id = db.session.scalar(select(Booking.id).where(Booking.user_id == first.id))
    assert a.post(f"/bookings/{booking_id}/cancel").status_code == 302
    [cancelled] = outbox(kind="booking_cancelled")
    calendar, vevent = _ics(cancelled.attachment_data)
    assert cancelled.to_address == first.email
    assert calendar["METHOD"] == "CANCEL" and vevent["STATUS"] == "CANCELLED"
    assert str(vevent["ATTENDEE"]) == f"mailto:{first.email}"

    # The freed place goes to the person waiting, with an invitation for their calendar.
    [promoted] = outbox(kind="booking_promoted")
    calendar, vevent = _ics(promoted.attachment_data)
    assert promoted.to_address == second.email
    assert calendar["METHOD"] == "REQUEST" and str(vevent["ATTENDEE"]) == f"mailto:{second.email}"
    assert promoted.attachment_name == "invite.ics"
