"""What a browser or proxy may keep (ASVS 8.2.1, 8.2.3): nothing of a signed-in person's pages and files, nor a
personal calendar feed; public anonymous pages keep their shared caching (tests/core/test_http_caching.py). And
``/.well-known/security.txt`` (RFC 9116) from the configuration."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from core.models import utcnow
from events.models import Booking
from extensions import db
from fellows.models import User


def _no_store(response, what) -> None:
    assert response.status_code == 200, what
    assert response.headers["Cache-Control"] == "private, no-store", what


@pytest.mark.parametrize("path", ["/", "/events", "/account", "/my/bookings", "/fellows", "/calendar", "/nowhere"])
def test_every_signed_in_page_is_no_store(login, make_fellow, make_event, path):
    make_event(title="A lunch")
    response = login(make_fellow()).get(path)
    assert response.headers["Cache-Control"] == "private, no-store", path
    assert "Cookie" in response.headers["Vary"]


def test_a_remembered_sign_in_is_no_store_too(app, make_fellow):
    from tests.conftest import PASSWORD

    fellow = make_fellow()
    client = app.test_client()
    client.post("/login", data={"email": fellow.email, "password": PASSWORD, "remember": "y"})
    client.delete_cookie("session")  # the browser was closed: only the remember-me cookie signs in
    _no_store(client.get("/my/bookings"), "/my/bookings")


def test_private_files_are_no_store(app, login, make_fellow, make_organiser, make_event):
    fellow = make_fellow()
    event_id = make_event(title="Booked lunch", online_url="https://meet.example.org/room")
    with app.app_context():
        db.session.add(Booking(event_id=event_id, user_id=fellow.id, state="confirmed", confirmed_at=utcnow()))
        db.session.commit()
    organiser = login(make_organiser())
    for path in (
        f"/organiser/events/{event_id}/attendees.csv",
        f"/organiser/events/{event_id}/catering.csv",
        f"/organiser/events/{event_id}/sign-in-sheet.pdf",
        "/organiser/fellows/export.csv",
        "/organiser/programme-dashboard.csv",
    ):
        _no_store(organiser.get(path), path)
    mine = login(fellow)
    ics = mine.get(f"/events/{event_id}/event.ics")
    assert "meet.example.org" in ics.get_data(as_text=True)
    _no_store(ics, "event .ics")
    _no_store(mine.post("/account/export"), "my data")


def test_a_personal_feed_is_no_store_and_still_answers_304(app, client, make_fellow):
    from events.calendar.tokens import make_calendar_token

    fellow = make_fellow()
    with app.app_context():
        token = make_calendar_token(db.session.get(User, fellow.id))
        db.session.commit()
    feed = client.get(f"/calendar/{token}.ics")
    _no_store(feed, "personal feed")
    again = client.get(f"/calendar/{token}.ics", headers={"If-None-Match": feed.headers["ETag"]})
    assert again.status_code == 304 and again.headers["Cache-Control"] == "private, no-store"
    assert client.get("/calendar.ics").headers["Cache-Control"] == "public, max-age=300"  # the public feed


def test_public_pages_keep_their_shared_caching_and_signing_out_is_no_store(client, auth, make_fellow, make_event):
    event_id = make_event(title="Open lunch", audience="public")
    assert client.get(f"/events/{event_id}").headers["Cache-Control"] == "public, no-cache"
    auth.login(make_fellow())
    signed_out = client.post("/logout")
    assert signed_out.headers["Cache-Control"] == "private, no-store"
    home = client.get("/")  # shows "You have signed out": this visitor's own
    assert "You have signed out" in home.get_data(as_text=True)
    assert home.headers["Cache-Control"] == "private, no-store"
    assert client.get(f"/events/{event_id}").headers["Cache-Control"] == "public, no-cache"


# security.txt ---------------------------------------------------------------------------------------------


def _fields(response) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for line in response.get_data(as_text=True).splitlines():
        name, _, value = line.partition(": ")
        fields.setdefault(name, []).append(value)
    return fields


def test_security_txt_is_built_from_the_configuration(app, client):
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    fields = _fields(response)
    assert fields["Contact"] == ["mailto:security@example.org"]
    assert fields["Canonical"] == ["http://localhost/.well-known/security.txt"]
    assert fields["Preferred-Languages"] == ["en"]
    assert "Policy" not in fields
    [expires] = fields["Expires"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00Z", expires)
    ahead = datetime.strptime(expires, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) - datetime.now(UTC)
    assert timedelta(days=364) < ahead <= timedelta(days=365)  # less than a year ahead (RFC 9116, 2.5.5)

    app.config.update(
        SECURITY_CONTACT="mailto:psirt@example.org, https://example.org/report",
        SECURITY_TXT_EXPIRES="2027-06-30T00:00:00Z",
        SECURITY_TXT_LANGUAGES="en, fr",
        SECURITY_POLICY_URL="https://example.org/security",
        BASE_URL="https://fellows.example.org",
    )
    fields = _fields(client.get("/.well-known/security.txt"))
    assert fields["Contact"] == ["mailto:psirt@example.org", "https://example.org/report"]
    assert fields["Expires"] == ["2027-06-30T00:00:00Z"]
    assert fields["Preferred-Languages"] == ["en, fr"]
    assert fields["Policy"] == ["https://example.org/security"]
    assert fields["Canonical"] == ["https://fellows.example.org/.well-known/security.txt"]


def test_without_a_contact_there_is_no_security_txt(app, client):
    app.config["SECURITY_CONTACT"] = None
    assert client.get("/.well-known/security.txt").status_code == 404
