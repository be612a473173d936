"""Feeds and files over HTTP: who sees what, secret personal URLs, conditional requests, the pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from sqlalchemy import select, text

from core.models import utcnow
from events.calendar import views as calendar_views
from events.models import Booking, Event, EventInvitation
from extensions import cache, db
from fellows.models import User
from tests.conftest import PASSWORD


def _feed(response) -> dict[str, icalendar.Event]:
    """SUMMARY → VEVENT of a calendar response (checked to be a calendar first)."""
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    parsed = icalendar.Calendar.from_ical(response.data)
    return {str(v["SUMMARY"]): v for v in parsed.walk("VEVENT")}


def _book(app, event_id: int, user, state: str = "confirmed") -> None:
    with app.app_context():
        db.session.add(Booking(event_id=event_id, user_id=user.id, state=state, confirmed_at=utcnow()))
        db.session.commit()


def _token(app, user) -> str:
    with app.app_context():
        from events.calendar.tokens import make_calendar_token

        token = make_calendar_token(db.session.get(User, user.id))
        db.session.commit()
        return token


# The public feed --------------------------------------------------------------------------------


def test_public_feed_lists_only_published_public_events(client, make_event):
    make_event(title="Open lunch", audience="public")
    make_event(title="Cancelled lunch", audience="public", state="cancelled")
    make_event(title="Draft lunch", audience="public", state="draft")
    make_event(title="Fellows lunch", audience="fellows")
    make_event(title="Invited lunch", audience="invitation")
    make_event(title="Long ago", audience="public", starts_at=utcnow() - timedelta(days=200))
    make_event(title="Last month", audience="public", starts_at=utcnow() - timedelta(days=30))
    response = client.get("/calendar.ics")
    feed = _feed(response)
    assert set(feed) == {"Open lunch", "Cancelled lunch", "Last month"}
    assert feed["Cancelled lunch"]["STATUS"] == "CANCELLED"
    assert feed["Open lunch"]["STATUS"] == "CONFIRMED"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["ETag"] and response.headers["Last-Modified"]


def test_public_feed_answers_304_until_something_changes(app, client, make_event):
    event_id = make_event(title="Open lunch", audience="public")
    first = client.get("/calendar.ics")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]

    again = client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    assert client.get("/calendar.ics", headers={"If-Modified-Since": modified}).status_code == 304

    with app.app_context():
        event = db.session.get(Event, event_id)
        event.title = "Open lunch, renamed"
        event.updated_at = event.updated_at + timedelta(seconds=2)
        db.session.commit()
    changed = client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert "Open lunch, renamed" in _feed(changed)
    assert client.get("/calendar.ics", headers={"If-Modified-Since": modified}).status_code == 200


def test_a_304_does_not_build_the_feed(app, client, make_event, count_queries, monkeypatch):
    """Clients poll; answering "unchanged" builds nothing and costs a fixed, small number of queries however
    big the feed, whether its fingerprint was kept (no query) or is worked out again (one light query)."""
    for n in range(3):
        make_event(title=f"Event {n}", audience="public")
    etag = client.get("/calendar.ics").headers["ETag"]
    with count_queries() as few:
        assert client.get("/calendar.ics", headers={"If-None-Match": etag}).status_code == 304
    for n in range(3, 30):
        make_event(title=f"Event {n}", audience="public", topics=("Energy",))
    etag = client.get("/calendar.ics").headers["ETag"]

    def no_build(*args, **kwargs):
        raise AssertionError("a 304 built the feed")

    monkeypatch.setattr(calendar_views, "public_entries", no_build)
    with count_queries() as many:
        assert client.get("/calendar.ics", headers={"If-None-Match": etag}).status_code == 304
    assert many.count == few.count == 0  # the fingerprint was kept
    with app.app_context():
        cache.clear()  # as after the kept fingerprint expired
    with count_queries() as worked_out:
        assert client.get("/calendar.ics", headers={"If-None-Match": etag}).status_code == 304
    assert 0 < worked_out.count <= 2, worked_out.statements


def test_building_the_feed_takes_the_same_queries_for_3_or_30_events(client, make_event, count_queries):
    for n in range(3):
        make_event(title=f"Event {n}", audience="public", topics=("Energy",))
    with count_queries() as few:
        assert client.get("/calendar.ics").status_code == 200
    for n in range(3, 30):
        make_event(title=f"Event {n}", audience="public", topics=("Health",))
    with count_queries() as many:
        assert len(_feed(client.get("/calendar.ics"))) == 30
    assert many.count == few.count


# Personal feeds ---------------------------------------------------------------------------------


def test_personal_feed_holds_own_bookings_only(app, client, make_event, make_fellow):
    ada, bob = make_fellow(), make_fellow()
    mine = make_event(title="Mine")
    waiting = make_event(title="Waiting")
    theirs = make_event(title="Theirs")
    make_event(title="Nobody's")
    cancelled_booking = make_event(title="Cancelled booking")
    _book(app, mine, ada)
    _book(app, waiting, ada, "waitlisted")
    _book(app, theirs, bob)
    _book(app, cancelled_booking, ada, "cancelled")

    response = client.get(f"/calendar/{_token(app, ada)}.ics")
    feed = _feed(response)
    assert set(feed) == {"Mine", "Waiting list: Waiting"}
    assert feed["Mine"]["STATUS"] == "CONFIRMED"
    assert feed["Waiting list: Waiting"]["STATUS"] == "TENTATIVE"
    assert feed["Waiting list: Waiting"]["TRANSP"] == "TRANSPARENT"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert set(_feed(client.get(f"/calendar/{_token(app, bob)}.ics"))) == {"Theirs"}


def test_confirmed_places_carry_the_online_link_and_waitlisted_do_not(app, client, make_event, make_fellow):
    ada = make_fellow()
    _book(app, make_event(title="Booked", online_url="https://meet.test/booked"), ada)
    _book(app, make_event(title="Queued", online_url="https://meet.test/queued"), ada, "waitlisted")
    body = client.get(f"/calendar/{_token(app, ada)}.ics").get_data(as_text=True)
    assert "https://meet.test/booked" in body
    assert "https://meet.test/queued" not in body


def test_invitations_appear_only_when_chosen(app, login, make_event, make_fellow):
    ada = make_fellow()
    invited = make_event(title="Invited dinner", audience="invitation")
    answered = make_event(title="Answered dinner", audience="invitation")
    with app.app_context():
        db.session.add_all(
            [EventInvitation(event_id=invited, user_id=ada.id), EventInvitation(event_id=answered, user_id=ada.id)]
        )
        db.session.commit()
    _book(app, answered, ada)
    client = login(ada)
    token = _token(app, ada)
    assert set(_feed(client.get(f"/calendar/{token}.ics"))) == {"Answered dinner"}

    response = client.post("/my/calendar/settings", data={"include_invitations": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, ada.id).calendar_include_invitations is True
    feed = _feed(client.get(f"/calendar/{token}.ics"))
    assert set(feed) == {"Answered dinner", "Invited: Invited dinner"}
    assert feed["Invited: Invited dinner"]["STATUS"] == "TENTATIVE"

    client.post("/my/calendar/settings", data={})
    assert set(_feed(client.get(f"/calendar/{token}.ics"))) == {"Answered dinner"}


def test_organiser_feed_holds_every_event_with_drafts_marked(app, client, make_event, make_organiser):
    organiser = make_organiser()
    make_event(title="Planned", state="draft")
    make_event(title="Fellows only", audience="fellows")
    make_event(title="Called off", state="cancelled")
    feed = _feed(client.get(f"/calendar/{_token(app, organiser)}.ics"))
    assert set(feed) == {"[Draft] Planned", "Fellows only", "Called off"}
    assert feed["[Draft] Planned"]["STATUS"] == "TENTATIVE"
    assert feed["Called off"]["STATUS"] == "CANCELLED"


def test_personal_feed_304_and_changes_with_bookings(app, client, make_event, make_fellow):
    ada = make_fellow()
    _book(app, make_event(title="First"), ada)
    url = f"/calendar/{_token(app, ada)}.ics"
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    _book(app, make_event(title="Second"), ada)
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200 and set(_feed(response)) == {"First", "Second"}


def test_the_public_feed_polled_with_nothing_changed_sends_no_sql_and_sees_a_new_event_at_once(
    client, make_event, count_queries
):
    make_event(title="Open lunch", audience="public")
    first = client.get("/calendar.ics")
    with count_queries() as counter:
        again = client.get("/calendar.ics")
    assert again.data == first.data and counter.count == 0, counter.statements
    make_event(title="Open seminar", audience="public")
    assert set(_feed(client.get("/calendar.ics"))) == {"Open lunch", "Open seminar"}


def test_a_personal_feed_polled_with_nothing_changed_sends_no_sql_and_sees_changes_at_once(
    app, client, make_event, make_fellow, count_queries
):
    """Calendar clients poll far more often than anything changes: while no commit has written what pages
    show, the fingerprint kept under the shared generation answers (a 304, or the kept body) with no SQL;
    a new booking, and then a deactivated account, are seen on the very next poll."""
    ada = make_fellow()
    _book(app, make_event(title="First"), ada)
    url = f"/calendar/{_token(app, ada)}.ics"
    first = client.get(url)
    with count_queries() as counter:
        again = client.get(url)
        not_modified = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.data == first.data and not_modified.status_code == 304
    assert counter.count == 0, counter.statements
    # The fingerprint is still kept but the body was evicted: it is built again, for the same owner.
    with app.app_context():
        cache.delete(f"feed:{first.headers['ETag'].strip(chr(34))}")
    with count_queries() as rebuilt:
        assert client.get(url).data == first.data
    assert rebuilt.count > 0

    _book(app, make_event(title="Second"), ada)
    assert set(_feed(client.get(url, headers={"If-None-Match": first.headers["ETag"]}))) == {"First", "Second"}
    with app.app_context():
        db.session.get(User, ada.id).active = False
        db.session.commit()
    assert client.get(url).status_code == 404


def _shown_token(page) -> str | None:
    found = re.findall(r"http://localhost/calendar/([A-Za-z0-9_-]+)\.ics", page.get_data(as_text=True))
    return found[0] if found else None


def test_the_address_is_made_by_a_post_and_shown_once_with_no_referrer(app, login, make_fellow):
    ada = make_fellow()
    client = login(ada)
    page = client.get("/my/calendar")
    assert page.status_code == 200 and _shown_token(page) is None
    assert "Make my calendar address" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, ada.id).calendar_token_hash is None  # opening the page makes nothing

    assert client.post("/my/calendar/reset").status_code == 302
    page = client.get("/my/calendar")
    token = _shown_token(page)
    assert token and f"webcal://localhost/calendar/{token}.ics" in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert client.get(f"/calendar/{token}.ics").status_code == 200

    again = client.get("/my/calendar")
    assert _shown_token(again) is None and "not shown again" in again.get_data(as_text=True)
    assert client.get(f"/calendar/{token}.ics").status_code == 200  # subscribed calendars keep working


def test_only_a_hash_of_the_feed_token_is_stored(app, make_fellow):
    ada = make_fellow()
    token = _token(app, ada)
    with app.app_context():
        row = db.session.execute(text("SELECT * FROM users WHERE id = :id"), {"id": ada.id}).one()
    assert token not in " ".join(map(str, row))


def test_a_new_address_revokes_the_old_at_once(app, login, make_fellow):
    ada = make_fellow()
    client = login(ada)
    assert client.post("/my/calendar/reset").status_code == 302
    old = _shown_token(client.get("/my/calendar"))
    assert client.get(f"/calendar/{old}.ics").status_code == 200

    assert client.post("/my/calendar/reset").status_code == 302
    new = _shown_token(client.get("/my/calendar"))
    assert new and new != old and len(new) >= 43
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200


@pytest.mark.parametrize("token", ["", "nope", "x" * 65, "../etc"])
def test_unknown_feed_tokens_are_404(client, token):
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_deactivated_accounts_feed_is_gone(app, client, make_fellow):
    ada = make_fellow()
    token = _token(app, ada)
    with app.app_context():
        db.session.get(User, ada.id).active = False
        db.session.commit()
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_reset_and_settings_need_csrf(csrf_app, make_fellow):
    ada = make_fellow()
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"email": ada.email, "password": PASSWORD, "csrf_token": csrf}).status_code == 302
    page = client.get("/my/calendar").get_data(as_text=True)
    with csrf_app.app_context():
        before = db.session.get(User, ada.id).calendar_token_hash

    assert client.post("/my/calendar/reset").status_code == 400
    assert client.post("/my/calendar/settings", data={"include_invitations": "y"}).status_code == 400
    assert client.post("/account/email-preferences", data={}).status_code == 400
    with csrf_app.app_context():
        user = db.session.get(User, ada.id)
        assert user.calendar_token_hash == before
        assert user.calendar_include_invitations is False and user.notify_reminders is True

    # With the page's token the reset goes through.
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert client.post("/my/calendar/reset", data={"csrf_token": csrf}).status_code == 302
    with csrf_app.app_context():
        assert db.session.get(User, ada.id).calendar_token_hash != before


# Pages that need a sign-in ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,route",
    [
        ("get", "/my/calendar"),
        ("post", "/my/calendar/reset"),
        ("post", "/my/calendar/settings"),
        ("post", "/account/email-preferences"),
    ],
)
def test_personal_pages_need_a_sign_in(client, method, route):
    response = getattr(client, method)(route)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_my_calendar_page_for_an_organiser(app, login, make_organiser):
    html = login(make_organiser()).get("/my/calendar").get_data(as_text=True)
    assert "every event" in html
    assert "/organiser/events/import" in html
    assert "include_invitations" not in html


# One event's .ics --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "audience,state,role,expected",
    [
        ("public", "published", "anonymous", 200),
        ("public", "cancelled", "anonymous", 200),
        ("fellows", "published", "anonymous", 302),
        ("fellows", "published", "fellow", 200),
        ("invitation", "published", "anonymous", 302),
        ("public", "draft", "anonymous", 404),
        ("public", "draft", "fellow", 404),
        ("public", "draft", "organiser", 200),
    ],
)
def test_event_file_follows_the_event_pages_access(
    app, client, login, make_event, make_fellow, make_organiser, audience, state, role, expected
):
    event_id = make_event(title="Lunch", audience=audience, state=state)
    viewer = {
        "anonymous": lambda: client,
        "fellow": lambda: login(make_fellow()),
        "organiser": lambda: login(make_organiser()),
    }[role]()
    response = viewer.get(f"/events/{event_id}/event.ics")
    assert response.status_code == expected
    if expected == 302:
        assert "/login" in response.headers["Location"]
    if expected == 200:
        vevent = next(iter(_feed(response).values()))
        with app.app_context():
            event = db.session.get(Event, event_id)
            from core.ical_settings import calendar_settings
            from events.calendar.ical import event_uid

            assert str(vevent["UID"]) == event_uid(event, calendar_settings())
        assert response.headers["Content-Disposition"].startswith('attachment; filename="lunch.ics"')


def test_event_file_for_a_waitlisted_fellow_is_tentative(app, login, make_event, make_fellow):
    ada = make_fellow()
    event_id = make_event(title="Popular", online_url="https://meet.test/x")
    _book(app, event_id, ada, "waitlisted")
    response = login(ada).get(f"/events/{event_id}/event.ics")
    vevent = _feed(response)["Waiting list: Popular"]
    assert vevent["STATUS"] == "TENTATIVE"
    assert "meet.test" not in response.get_data(as_text=True)


def test_missing_event_file_is_404(client):
    assert client.get("/events/999999/event.ics").status_code == 404


def test_event_page_links_to_calendars(app, client, make_event):
    event_id = make_event(title="Open lunch", audience="public", starts_at=datetime(2030, 1, 10, 12, tzinfo=UTC))
    html = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert f"/events/{event_id}/event.ics" in html
    assert "https://calendar.google.com/calendar/render?action=TEMPLATE" in html
    assert "https://outlook.live.com/calendar/0/deeplink/compose?" in html


def test_renaming_a_host_or_topic_or_removing_a_speaker_changes_the_feed(app, client, make_event):
    from core.models import Tag
    from events.models import Speaker
    from fellows.models import Organisation

    with app.app_context():
        host = Organisation(name="Old Institute", kind="university")
        db.session.add(host)
        db.session.commit()
        host_id = host.id
    event_id = make_event(title="Hosted", audience="public", host_id=host_id, topics=("Energy",))
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.speakers.append(Speaker(position=0, name="Ada Speaker"))
        db.session.commit()

    def description() -> tuple[str, str]:
        response = client.get("/calendar.ics")
        vevent = _feed(response)["Hosted"]
        return response.headers["ETag"], str(vevent["DESCRIPTION"]) + "|" + ",".join(vevent["CATEGORIES"].cats)

    etag, text = description()
    assert "Hosted by Old Institute." in text and "Ada Speaker" in text and text.endswith("|Energy")
    with app.app_context():
        db.session.get(Organisation, host_id).name = "New Institute"
        db.session.commit()
    etag2, text = description()
    assert etag2 != etag and "Hosted by New Institute." in text
    with app.app_context():
        db.session.scalar(select(Tag)).name = "Energy policy"
        db.session.commit()
    etag3, text = description()
    assert etag3 != etag2 and text.endswith("|Energy policy")
    with app.app_context():
        db.session.delete(db.session.scalar(select(Speaker)))
        db.session.commit()
    etag4, text = description()
    assert etag4 != etag3 and "Ada Speaker" not in text


def test_an_unconditional_poll_gets_the_same_bytes_until_a_change(app, client, make_event):
    event_id = make_event(title="Open lunch", audience="public")
    first, second = client.get("/calendar.ics"), client.get("/calendar.ics")
    assert first.data == second.data and first.headers["ETag"] == second.headers["ETag"]
    with app.app_context():
        db.session.get(Event, event_id).venue_name = "Room 2"
        db.session.commit()
    third = client.get("/calendar.ics")
    assert third.headers["ETag"] != first.headers["ETag"] and b"Room 2" in third.data
