"""Security regressions from the whole-application review: redirects after sign-in, mail headers built
from titles, text kept from an expired session, and the cache of built calendar feeds."""

from __future__ import annotations

import json

import icalendar
import pytest
from sqlalchemy import select

from core.models import utcnow
from events.models import Booking
from extensions import db
from fellows.models import User
from tests.conftest import PASSWORD
from tests.events_helpers import text_of
from tests.notes_helpers import make_note_fixture, past  # noqa: F401  (make_note is a fixture)


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example",  # browsers drop the tab and read //evil.example: another host
        "/\n/evil.example",
        "/\r\n/evil.example",  # also a line break in the Location header
        "/ /evil.example",
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
    ],
)
def test_sign_in_never_redirects_to_another_site(client, make_fellow, target):
    fellow = make_fellow()
    response = client.post("/login", query_string={"next": target}, data={"email": fellow.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_sign_in_still_returns_to_a_page_of_this_site(client, make_fellow):
    fellow = make_fellow()
    target = "/events?when=past&q=digital+government"
    response = client.post("/login", query_string={"next": target}, data={"email": fellow.email, "password": PASSWORD})
    assert response.headers["Location"] == target


@pytest.mark.parametrize("target", ["/organiser/fellows\r\nSet-Cookie: x=1", "/organiser/fellows%0d%0aX: 1\n"])
def test_an_organiser_action_with_a_line_break_in_next_is_done_and_goes_back_safely(
    app, login, make_organiser, make_fellow, outbox, target
):
    """The action happens and the redirect drops the target (it once failed with a 500 after the action)."""
    fellow = make_fellow(joined=False)
    organiser = login(make_organiser())
    response = organiser.post(f"/organiser/fellows/{fellow.id}/invitation", data={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/organiser/fellows/{fellow.id}/edit"
    assert len(outbox(to_address=fellow.email)) == 1


def test_a_line_break_in_a_title_reaches_neither_mail_headers_nor_calendar_names(
    app, login, make_event, make_fellow, outbox
):
    # Titles imported from a partner's .ics file (SUMMARY) may carry line breaks.
    event_id = make_event(title="Lunch\r\nBcc: everyone@example.org")
    fellow = login(make_fellow(email="ada@example.org"))
    assert fellow.post(f"/events/{event_id}/book").status_code == 302  # the confirmation carries an .ics
    (message,) = outbox(to_address="ada@example.org")
    assert message.subject == "Your place is confirmed: Lunch Bcc: everyone@example.org"
    download = fellow.get(f"/events/{event_id}/event.ics")
    assert download.status_code == 200
    calendar = icalendar.Calendar.from_ical(download.data)
    assert str(calendar["X-WR-CALNAME"]) == "Lunch Bcc: everyone@example.org"
    assert not any(line.startswith("Bcc") for line in download.get_data(as_text=True).splitlines())


def test_kept_text_goes_back_only_to_the_browser_that_typed_it(app, client, login, make_event, make_organiser):
    from writeups.models import NoteDraftStash

    event_id = make_event(starts_at=past())
    organiser = login(make_organiser())
    created = organiser.post(
        f"/organiser/events/{event_id}/notes/new",
        data={"title": "Grid", "summary": "Short.", "body": "The organiser's words.", "audience": "fellows"},
    )
    note_id = int(created.headers["Location"].rsplit("/", 1)[1])
    # Anyone can post to the form without a session: the text is kept for whoever sent it ...
    planted = client.post(
        f"/organiser/notes/{note_id}/edit",
        data={"version": "1", "title": "Grid", "summary": "Short.", "body": "Planted words.", "audience": "public"},
    )
    restore_url = planted.headers["Location"].split("next=", 1)[1].replace("%3F", "?").replace("%3D", "=")
    assert restore_url.startswith(f"/organiser/notes/{note_id}/edit?restore=")
    # ... but an organiser sent that restore link does not get it presented as their own unsaved text.
    page = organiser.get(restore_url)
    assert page.status_code == 200
    assert "Planted words." not in text_of(page) and "no longer available" in text_of(page)
    with app.app_context():
        assert db.session.query(NoteDraftStash).count() == 1  # left for its own browser, which may sign in


def _summaries(response) -> set[str]:
    assert response.status_code == 200
    return {str(v["SUMMARY"]) for v in icalendar.Calendar.from_ical(response.data).walk("VEVENT")}


def test_cached_feeds_never_cross_between_requesters(app, client, make_event, make_fellow, make_organiser):
    draft = make_event(title="Secret draft", state="draft")
    fellows_only = make_event(title="Fellows lunch", online_url="https://meet.example/fellows")
    public = make_event(title="Open lecture", audience="public")
    ada, bob, olivia = make_fellow(), make_fellow(), make_organiser()
    with app.app_context():
        db.session.add(Booking(event_id=fellows_only, user_id=ada.id, state="confirmed", confirmed_at=utcnow()))
        db.session.add(Booking(event_id=public, user_id=bob.id, state="confirmed", confirmed_at=utcnow()))
        from events.calendar.tokens import make_calendar_token

        tokens = {u.email: make_calendar_token(db.session.get(User, u.id)) for u in (ada, bob, olivia)}
        db.session.commit()
        assert db.session.scalar(select(Booking.id).where(Booking.event_id == draft)) is None
    # The organiser's feed (every event, drafts included) is built and cached first ...
    assert "[Draft] Secret draft" in _summaries(client.get(f"/calendar/{tokens[olivia.email]}.ics"))
    ada_feed = client.get(f"/calendar/{tokens[ada.email]}.ics")
    # ... then every other requester gets only their own, even quoting someone else's ETag.
    assert _summaries(ada_feed) == {"Fellows lunch"}
    bob_feed = client.get(f"/calendar/{tokens[bob.email]}.ics", headers={"If-None-Match": ada_feed.headers["ETag"]})
    assert _summaries(bob_feed) == {"Open lecture"}
    assert _summaries(client.get("/calendar.ics")) == {"Open lecture"}
    assert b"meet.example" not in client.get("/calendar.ics").data


def test_visitors_cannot_probe_event_ids_through_the_new_note_page(client, make_event):
    event_id = make_event(state="draft")
    existing = client.get(f"/organiser/events/{event_id}/notes/new")
    missing = client.get(f"/organiser/events/{event_id + 1000}/notes/new")
    assert existing.status_code == missing.status_code == 302
    assert "/login" in existing.headers["Location"] and "/login" in missing.headers["Location"]


# Sessions and transport (issue 13) ----------------------------------------------------------------


def test_signing_in_renews_the_session_and_keeps_only_what_is_kept_for_after(app, client, make_fellow):
    fellow = make_fellow()
    with client.session_transaction() as session:
        session["planted"] = "set before signing in"
        session["kept_note_texts"] = ["restore-key"]
    assert client.post("/login", data={"email": fellow.email, "password": PASSWORD}).status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["kept_note_texts"] == ["restore-key"]
        assert session["_user_id"].split(":")[0] == str(fellow.id)


@pytest.mark.parametrize("base_url, secure", [("https://events.example.org", True), ("http://127.0.0.1:5000", False)])
def test_cookies_are_secure_and_hsts_is_sent_when_served_over_https(database_uri, base_url, secure):
    from app import create_app

    served = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_uri, "BASE_URL": base_url, "WTF_CSRF_ENABLED": False}
    )
    assert served.config["SESSION_COOKIE_SECURE"] is secure and served.config["REMEMBER_COOKIE_SECURE"] is secure
    client = served.test_client()
    response = client.get("/login")
    assert ("Strict-Transport-Security" in response.headers) is secure
    if secure:
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_over_https_the_cookies_are_named_host_only_and_still_keep_people_signed_in(database_uri, make_fellow):
    """ASVS 3.4.4: a __Host- cookie is accepted by browsers only when Secure, for Path=/ and without a
    Domain, so no subdomain or plain-HTTP page can plant one that this site would then read."""
    from app import create_app

    fellow = make_fellow()
    served = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "BASE_URL": "https://events.example.org",
            "WTF_CSRF_ENABLED": False,
        }
    )
    client = served.test_client()
    response = client.post(
        "/login",
        data={"email": fellow.email, "password": PASSWORD, "remember": "y"},
        base_url="https://events.example.org",
    )
    assert response.status_code == 302
    cookies = {cookie.split("=", 1)[0]: cookie for cookie in response.headers.getlist("Set-Cookie")}
    assert set(cookies) == {"__Host-session", "__Host-remember"}, cookies
    for cookie in cookies.values():
        assert "Secure" in cookie and "Path=/" in cookie and "Domain=" not in cookie, cookie
    assert client.get("/account", base_url="https://events.example.org").status_code == 200
    client.delete_cookie("__Host-session", domain="events.example.org")  # the browser closed: remembered
    assert client.get("/account", base_url="https://events.example.org").status_code == 200
    with served.app_context():
        db.engine.dispose()


def test_demo_accounts_are_not_added_to_a_live_database(app, runner, make_user):
    """ASVS 2.5.4: `flask demo` makes accounts with a published password, so it refuses a database that
    holds real people's accounts and a deployment served over HTTPS; on an example-only database it runs."""
    make_user(email="trial@example.org")
    assert runner.invoke(args=["demo"]).exit_code == 0  # example addresses only: a developer's database

    make_user(email="grace@cabinetoffice.gov.uk")
    with app.app_context():
        before = db.session.query(User).count()
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0
    assert "looks like a live system (1 account with a real address)" in result.output
    with app.app_context():
        assert db.session.query(User).count() == before  # nothing was added

    app.config["BASE_URL"] = "https://fellows.example.org"
    with app.app_context():
        db.session.query(User).filter(User.email == "grace@cabinetoffice.gov.uk").delete()
        db.session.commit()
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0 and "BASE_URL is https://" in result.output


def test_session_cookie_carries_the_secure_flag_over_https(app, make_fellow):
    fellow = make_fellow()
    app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    client = app.test_client()
    response = client.post(
        "/login", data={"email": fellow.email, "password": PASSWORD, "remember": "y"}, base_url="https://localhost"
    )
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in cookie and "HttpOnly" in cookie for cookie in cookies), cookies
    assert all("SameSite=Lax" in cookie for cookie in cookies), cookies


# Response headers and what is served (docs/SECURITY.md, ASVS V12 and V14) ---------------------------------


def test_every_kind_of_response_carries_the_security_headers_and_a_charset(client, make_event):
    event_id = make_event(audience="public")
    for path, status in [
        ("/", 200),
        (f"/events/{event_id}", 200),
        ("/calendar.ics", 200),
        ("/notes/feed.atom", 200),
        ("/static/css/site.css", 200),
        ("/no-such-page", 404),
        ("/organiser/events", 302),
    ]:
        response = client.get(path)
        assert response.status_code == status, path
        headers = response.headers
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
        assert headers["X-Frame-Options"] == "DENY", path
        assert headers["Referrer-Policy"] == "same-origin", path
        if headers["Content-Type"].startswith(("text/", "application/atom+xml")):
            assert "charset=utf-8" in headers["Content-Type"].lower(), (path, headers["Content-Type"])
        response.close()


@pytest.mark.parametrize(
    "path",
    ["/static/", "/static/../app.py", "/static/%2e%2e/config.py", "/.git/config", "/instance/config.py", "/app.py"],
)
def test_no_directory_listing_and_no_source_or_configuration_is_served(client, path):
    assert client.get(path).status_code == 404


def test_a_title_cannot_close_the_json_ld_script(client, make_event):
    event_id = make_event(audience="public", title="</script><script>alert(1)</script>")
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "<script>alert(1)" not in page
    block = page.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert json.loads(block)["name"] == "</script><script>alert(1)</script>"
