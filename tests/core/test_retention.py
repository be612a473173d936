"""Special-category data is not kept for ever, and a deleted account takes its data with it
(issue 13, defect 2): ``flask purge``, account deletion and "Download my data"."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.models import OutboxMessage
from events.models import Booking, CateringRecord
from extensions import db
from tests.conftest import PASSWORD, link_in
from tests.events_helpers import bookings, text_of
from tests.notes_helpers import make_note_fixture  # noqa: F401  (fixtures)
from writeups.models import NoteReviewLink

NOW = datetime.now(UTC).replace(microsecond=0)


def _book(app, event_id, user, state="confirmed", **answers):
    with app.app_context():
        db.session.add(Booking(event_id=event_id, user_id=user.id, state=state, **answers))
        db.session.commit()


def _answers(app, event_id):
    with app.app_context():
        rows = db.session.scalars(select(Booking).where(Booking.event_id == event_id).order_by(Booking.id))
        return [(b.dietary_requirements, b.access_needs, b.comment) for b in rows]


def _message(app, *, status, sent_days_ago, to="someone@example.org", **fields):
    with app.app_context():
        sent = NOW - timedelta(days=sent_days_ago)
        message = OutboxMessage(
            to_address=to,
            subject="Your place is confirmed",
            text_body="Dietary requirements: coeliac",
            html_body="<p>Dietary requirements: coeliac</p>",
            kind="booking_confirmed",
            status=status,
            attempts=1,
            created_at=sent,
            next_attempt_at=sent,
            sent_at=sent if status == "sent" else None,
            attachment_name="event.ics",
            attachment_type="text/calendar",
            attachment_data=b"BEGIN:VCALENDAR",
            **fields,
        )
        db.session.add(message)
        db.session.commit()
        return message.id


def test_purge_removes_old_answers_keeps_the_catering_counts_and_is_idempotent(
    app, runner, make_event, make_fellow, make_organiser, login
):
    old = make_event(starts_at=NOW - timedelta(days=40), title="Old lunch")
    recent = make_event(starts_at=NOW - timedelta(days=10), title="Recent lunch")
    for dietary in ("Vegetarian", "vegetarian.", "Halal"):
        _book(app, old, make_fellow(), dietary_requirements=dietary, access_needs="Step-free access", comment="Hi")
    _book(app, recent, make_fellow(), dietary_requirements="Vegan", comment="See you")

    first = runner.invoke(args=["purge"])
    assert first.exit_code == 0, first.output
    assert "3 bookings' dietary, access and comment answers" in first.output
    assert _answers(app, old) == [(None, None, None)] * 3
    assert _answers(app, recent) == [("Vegan", None, "See you")]  # 10 days: still kept

    organiser = login(make_organiser())
    page = text_of(organiser.get(f"/organiser/events/{old}/attendees"))
    assert "Vegetarian 2" in page and "Halal 1" in page and "Step-free access 3" in page
    csv = organiser.get(f"/organiser/events/{old}/attendees.csv").get_data(as_text=True)
    assert "Vegetarian" not in csv and "Step-free" not in csv and "Hi" not in csv.split("\n", 1)[1]

    again = runner.invoke(args=["purge"])
    assert "0 bookings' dietary" in again.output
    assert "Vegetarian 2" in text_of(organiser.get(f"/organiser/events/{old}/attendees"))
    with app.app_context():
        assert db.session.get(CateringRecord, old).dietary == [["Vegetarian", 2], ["Halal", 1]]


def test_the_retention_period_is_configurable(app, runner, make_event, make_fellow):
    app.config["RETENTION_BOOKING_ANSWERS_DAYS"] = 5
    recent = make_event(starts_at=NOW - timedelta(days=10))
    _book(app, recent, make_fellow(), dietary_requirements="Vegan")
    runner.invoke(args=["purge"])
    assert _answers(app, recent) == [(None, None, None)]


def test_purge_removes_the_text_of_old_emails_and_keeps_who_was_sent_what(app, runner, make_organiser, login):
    old_sent = _message(app, status="sent", sent_days_ago=31)
    old_failed = _message(app, status="failed", sent_days_ago=40)
    recent = _message(app, status="sent", sent_days_ago=3)
    waiting = _message(app, status="queued", sent_days_ago=40)

    assert "2 email texts" in runner.invoke(args=["purge"]).output
    with app.app_context():
        for message_id in (old_sent, old_failed):
            message = db.session.get(OutboxMessage, message_id)
            assert "coeliac" not in message.text_body and message.html_body is None
            assert message.attachment_data is None and message.purged_at is not None
            assert message.subject == "Your place is confirmed" and message.to_address == "someone@example.org"
        for message_id in (recent, waiting):
            assert "coeliac" in db.session.get(OutboxMessage, message_id).text_body
    assert "0 email texts" in runner.invoke(args=["purge"]).output

    organiser = login(make_organiser())
    page = text_of(organiser.get("/organiser/outbox"))
    assert "Text removed (retention)" in page
    response = organiser.post(f"/organiser/outbox/{old_failed}/retry", follow_redirects=True)
    assert "cannot be sent" in text_of(response)
    with app.app_context():
        assert db.session.get(OutboxMessage, old_failed).status == "failed"


def test_deleting_an_account_erases_answers_gives_up_places_and_stops_its_emails(
    app, client, make_event, make_fellow, make_organiser, make_note, login, outbox
):
    leaving = make_fellow(name="Leaving Soon", email="leaving@example.org")
    waiting = make_fellow(name="Next In Line")
    upcoming = make_event(capacity=1, title="Full lunch")
    past = make_event(starts_at=NOW - timedelta(days=3), title="Last week's lunch")
    _book(app, upcoming, leaving, dietary_requirements="Coeliac", comment="Aisle seat")
    _book(app, upcoming, waiting, state="waitlisted")
    _book(app, past, leaving, dietary_requirements="Coeliac", access_needs="Hearing loop")
    # A review link sent to the same address, and an email still waiting to go to it.
    organiser = login(make_organiser())
    note_id = make_note(past, state="in_review", published_at=None)
    organiser.post(
        f"/organiser/notes/{note_id}/review-links",
        data={"reviewer_name": "Leaving Soon", "reviewer_email": "leaving@example.org"},
    )
    review_path = link_in(outbox(kind="note_review_request")[0], "/review/")
    with app.app_context():
        db.session.execute(db.update(OutboxMessage).values(status="queued"))  # as if not sent yet
        db.session.commit()

    response = login(leaving).post("/account/delete", data={"delete-password": PASSWORD, "delete-confirm": "y"})
    assert response.status_code == 302

    assert bookings(app, upcoming) == {None: "cancelled", waiting.id: "confirmed"}  # the place went on
    assert bookings(app, past) == {None: "confirmed"}  # the past place still counts, with no name
    assert _answers(app, past) == [(None, None, None)] and _answers(app, upcoming)[0] == (None, None, None)
    assert [m.to_address for m in outbox()] == [waiting.email]  # only the promotion email is left
    assert outbox()[0].kind == "booking_promoted"
    with app.app_context():
        link = db.session.scalars(select(NoteReviewLink)).one()
        assert link.reviewer_email == "" and "leaving" not in link.reviewer_name.lower()
        assert link.revoked_at is not None
    assert client.get(review_path).status_code == 404


def test_download_my_data_includes_invitations_emails_settings_preferences_and_review_links(
    app, make_event, make_fellow, make_organiser, make_note, login, outbox
):
    fellow = make_fellow(email="ada@example.org")
    organiser = login(make_organiser())
    roundtable = make_event(audience="invitation", title="Private roundtable")
    organiser.post(f"/organiser/events/{roundtable}/invitations", data={"fellows": [str(fellow.id)]})
    note_id = make_note(make_event(starts_at=NOW - timedelta(days=3)), state="in_review", published_at=None)
    organiser.post(
        f"/organiser/notes/{note_id}/review-links", data={"reviewer_name": "Ada", "reviewer_email": "ada@example.org"}
    )
    client = login(fellow)
    client.post("/my/calendar/reset")
    token = re.search(r"/calendar/([A-Za-z0-9_-]{43})\.ics", client.get("/my/calendar").get_data(as_text=True))[1]
    client.post("/account/email-preferences", data={"notify_reminders": "y"})

    data = client.post("/account/export").get_json()

    assert [i["event"] for i in data["event_invitations"]] == ["Private roundtable"]
    assert data["email_preferences"] == {"reminders": True, "write_ups": False, "new_events": False}
    assert data["calendar"] == {"has_personal_feed_address": True, "feed_includes_invitations": False}
    assert [r["reviewer_name"] for r in data["review_links"]] == ["Ada"]
    assert {e["kind"] for e in data["emails"]} == {"note_review_request", "event_invitation"}
    assert token not in str(data)  # the feed's secret address is not copied into a download


def test_the_privacy_notice_says_how_long_answers_and_emails_are_kept(app, client):
    app.config["RETENTION_BOOKING_ANSWERS_DAYS"] = 45
    page = text_of(client.get("/privacy"))
    assert "45 days after the event" in page and "kept for 30 days after it was sent" in page
    assert "30 days after the visit ends" in page and "Remove me from this network" in page
    assert 'href="/privacy"' in client.get("/").get_data(as_text=True)
