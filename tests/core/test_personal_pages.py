"""Signed-in pages kept per person between changes (core.personal_pages, issue 27).

A registered signed-in page, asked for again by the same person in the same browser session with nothing
changed, is answered with no SQL at all; anything that changes what it shows — a write in any process, a
changed role, signing out, an event starting, a message to flash — is there on the very next request, and a
page that reads what the generation does not watch, or carries a one-use form key, is built every time.
"""

from __future__ import annotations

import re
import socket
from datetime import UTC, datetime, timedelta

from core.models import OutboxMessage
from extensions import db
from tests.conftest import PASSWORD
from tests.events_helpers import text_of


def _book(client, event_id: int):
    response = client.post(f"/events/{event_id}/book")
    assert response.status_code == 302, response.get_data(as_text=True)


def test_my_bookings_asked_again_costs_no_sql_and_shows_a_new_booking_at_once(
    client, login, make_fellow, make_event, count_kept_queries
):
    first = make_event(title="Lunch on evidence")
    second = make_event(title="Seminar on AI")
    fellow = login(make_fellow(name="Ada Byron"))
    _book(fellow, first)
    fellow.get("/my/bookings")  # the first visit after booking reads the flash and builds the page
    built = fellow.get("/my/bookings")
    with count_kept_queries() as counter:
        kept = fellow.get("/my/bookings")
    assert kept.status_code == 200 and counter.count == 0
    assert kept.get_data() == built.get_data() and "Lunch on evidence" in text_of(kept)
    assert kept.headers["Cache-Control"].startswith("private, no-store")

    _book(fellow, second)
    after = fellow.get("/my/bookings")
    assert "Seminar on AI" in text_of(after) and "Lunch on evidence" in text_of(after)


def test_a_change_made_in_another_process_is_seen_on_the_next_request(app, login, make_fellow, make_event):
    """A write through the ORM anywhere (here: outside any request, as the scheduler or a CLI command does)."""
    from events.models import Event

    event_id = make_event(title="Roundtable on housing")
    fellow = login(make_fellow())
    _book(fellow, event_id)
    fellow.get("/my/bookings")
    assert "Roundtable on housing" in text_of(fellow.get("/my/bookings"))
    with app.app_context():
        db.session.get(Event, event_id).title = "Roundtable on social housing"
        db.session.commit()
    assert "Roundtable on social housing" in text_of(fellow.get("/my/bookings"))


def test_each_person_and_each_session_has_its_own_page(login, make_fellow, make_event, count_kept_queries):
    event_id = make_event(title="Only Ada's lunch")
    ada = make_fellow(name="Ada Byron")
    ada_client, grace = login(ada), login(make_fellow(name="Grace Hopper"))
    grace.get("/privacy")  # reads any message flashed at sign-in
    _book(ada_client, event_id)
    for _ in range(2):
        ada_client.get("/my/bookings")
    with count_kept_queries() as counter:
        assert "Only Ada's lunch" in text_of(ada_client.get("/my/bookings"))
    assert counter.count == 0  # kept, and nothing written since
    page = text_of(grace.get("/my/bookings"))
    assert "Only Ada's lunch" not in page and "Grace Hopper" in page
    other_browser = login(ada)  # the same person signed in elsewhere: a session of its own, its own token
    assert "Only Ada's lunch" in text_of(other_browser.get("/my/bookings"))


def test_after_signing_out_the_kept_page_is_not_answered(client, auth, make_fellow):
    fellow = make_fellow(name="Ada Byron")
    auth.login(fellow)
    for _ in range(3):
        assert client.get("/my/bookings").status_code == 200
    auth.logout()
    signed_out = client.get("/my/bookings")
    assert signed_out.status_code == 302 and "/login" in signed_out.headers["Location"]


def test_an_organiser_made_a_fellow_loses_the_attendee_list_at_once(app, login, make_organiser, make_event):
    from fellows.models import User

    event_id = make_event(title="Workshop")
    organiser = make_organiser()
    client = login(organiser)
    for _ in range(2):
        assert "Workshop" in text_of(client.get(f"/organiser/events/{event_id}/attendees"))
    with app.app_context():
        db.session.get(User, organiser.id).role = "fellow"
        db.session.commit()
    assert client.get(f"/organiser/events/{event_id}/attendees").status_code in (403, 404)


def test_a_flashed_message_is_shown_although_the_page_was_kept(login, make_fellow):
    """Whatever action flashed a message and sent the browser to a kept page, the message is shown, once."""
    fellow = login(make_fellow())
    for _ in range(3):
        kept = fellow.get("/my/bookings")
    with fellow.session_transaction() as session:
        session["_flashes"] = [("success", "Your profile is saved.")]
    assert "Your profile is saved." in text_of(fellow.get("/my/bookings"))
    after = fellow.get("/my/bookings")
    assert "Your profile is saved." not in text_of(after) and after.get_data() == kept.get_data()


def test_an_event_starting_moves_on_my_bookings_with_no_write(app, login, make_fellow, make_event, monkeypatch):
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    event_id = make_event(title="Starting soon", starts_at=starts, ends_at=starts + timedelta(hours=1))
    fellow = login(make_fellow())
    _book(fellow, event_id)
    fellow.get("/my/bookings")
    before = fellow.get("/my/bookings").get_data()
    assert fellow.get("/my/bookings").get_data() == before

    import core.personal_pages
    import events.bookings.views

    later = starts + timedelta(hours=2)
    monkeypatch.setattr(core.personal_pages, "utcnow", lambda: later)
    monkeypatch.setattr(events.bookings.views, "utcnow", lambda: later)
    after = fellow.get("/my/bookings").get_data()
    assert after != before  # the event has ended: it moved from upcoming to past


def test_an_email_given_up_on_shows_on_the_kept_organisers_home_at_once(app, login, make_organiser, count_kept_queries):
    """The outbox makes no new generation as it queues and sends, but an email entering or leaving *failed*
    is announced (core.mail), so the organiser's home, kept otherwise, counts it on the next request."""
    from core import mail as outbox_mail

    with socket.socket() as probe:  # a mail server that is down: nothing listens on this port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config.update(MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=2)
    app.config["MAIL_MAX_ATTEMPTS"] = 1
    client = login(make_organiser())
    with app.app_context():
        outbox_mail.queue_email(
            "someone@example.org",
            "Hello",
            "password_reset",
            kind="password_reset",
            user={"name": "Someone", "email": "someone@example.org"},
            link="http://localhost/x",
            hours=2,
        )
        db.session.commit()
    for _ in range(2):
        assert "Every email has been sent or is on its way." in text_of(client.get("/"))
    with count_kept_queries() as counter:
        assert "Every email has been sent or is on its way." in text_of(client.get("/"))
    assert counter.count == 0, "the organiser's home was built again, not answered from its kept copy"

    with app.app_context():
        assert outbox_mail.deliver_due() == (0, 1)
        message_id = db.session.scalar(db.select(OutboxMessage.id).filter_by(status="failed"))
    assert "1 email could not be sent." in text_of(client.get("/"))
    assert client.post(f"/organiser/outbox/{message_id}/retry").status_code == 302
    client.get("/organiser/outbox")  # reads the message the retry flashed
    assert "Every email has been sent or is on its way." in text_of(client.get("/"))


def test_each_answer_of_a_kept_page_carries_new_one_use_form_keys(
    app, login, make_fellow, make_expert, count_kept_queries
):
    """The itinerary's follow-up form has a one-use key (a double click records one follow-up). Answered from
    its kept copy, the page still gets a new key each time: two tabs record two follow-ups, while the same
    tab's form sent twice records one."""
    from programmes.models import FollowUp
    from tests.programmes_helpers import visit_with_meetings

    fellow = make_fellow(name="Ada Byron")
    held = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=2)
    visit = visit_with_meetings(app, fellow.id, [make_expert()], [held])
    meeting_id = visit["meetings"][0]
    client = login(fellow)
    path = f"/programme/visits/{visit['visit']}"
    client.get(path)
    client.get(path)
    with count_kept_queries() as counter:
        tabs = [client.get(path) for _ in range(2)]
    assert counter.count == 0, "the itinerary was built again, not answered from its kept copy"
    pattern = rf'name="u{meeting_id}-form_key"[^>]*value="([^"]+)"'
    keys = [re.search(pattern, tab.get_data(as_text=True)).group(1) for tab in tabs]
    assert keys[0] != keys[1]
    assert tabs[0].get_data().replace(keys[0].encode(), b"") == tabs[1].get_data().replace(keys[1].encode(), b"")

    def send(key: str, action: str):
        form = {"action": action, "owner": "fellow", "due_on": held.date().isoformat(), "form_key": key}
        response = client.post(
            f"/programme/meetings/{meeting_id}/follow-ups", data={f"u{meeting_id}-{k}": v for k, v in form.items()}
        )
        assert response.status_code == 302, response.get_data(as_text=True)

    send(keys[0], "Send the evaluation")
    send(keys[0], "Send the evaluation")  # the same tab's form again: a repeat
    send(keys[1], "Introduce the analysis team")
    with app.app_context():
        actions = sorted(db.session.scalars(db.select(FollowUp.action).filter_by(meeting_id=meeting_id)))
    assert actions == ["Introduce the analysis team", "Send the evaluation"]


def test_with_csrf_on_a_kept_pages_form_still_works(
    csrf_app, make_organiser, make_fellow, make_event, count_kept_queries
):
    """The check-in page is kept with its forms' CSRF tokens; pressing a button on the kept copy works."""
    from events.models import Booking

    event_id = make_event(title="Lunch", starts_at=datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30))
    fellow = make_fellow(name="Ada Byron")
    with csrf_app.app_context():
        booking = Booking(event_id=event_id, user_id=fellow.id, state="confirmed", confirmed_at=datetime.now(UTC))
        db.session.add(booking)
        db.session.commit()
        booking_id = booking.id
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    organiser = make_organiser()
    signed = client.post("/login", data={"email": organiser.email, "password": PASSWORD, "csrf_token": token})
    assert signed.status_code == 302
    for _ in range(2):
        client.get(f"/organiser/events/{event_id}/check-in")
    with count_kept_queries() as counter:
        kept = client.get(f"/organiser/events/{event_id}/check-in")
    assert counter.count == 0, "the check-in page was built again, not answered from its kept copy"
    html = kept.get_data(as_text=True)
    form = re.search(rf'<form method="post" action="/organiser/bookings/{booking_id}/check-in"(.*?)</form>', html, re.S)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.group(1)).group(1)
    done = client.post(
        f"/organiser/bookings/{booking_id}/check-in", data={"attendance": "attended", "csrf_token": token}
    )
    assert done.status_code == 302
    with csrf_app.app_context():
        assert db.session.get(Booking, booking_id).attendance == "attended"
