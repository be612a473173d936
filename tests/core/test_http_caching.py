"""HTTP caching of the pages every anonymous visitor sees alike (core.caching).

An anonymous page carries a shared ETag and ``Cache-Control: public, no-cache``; asking again with that
ETag costs a 304 and no SQL; any change to what the page shows gives a new ETag at once. Signed-in pages
are private and carry no shared ETag, and a flashed message is never hidden behind a 304.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.events_helpers import event_form, text_of
from tests.notes_helpers import make_note_fixture  # noqa: F401  (fixture)


def _shared(response) -> str:
    """The response's shared ETag, after checking the headers that make it safe to share."""
    assert response.headers["Cache-Control"] == "public, no-cache"
    assert "Cookie" in response.headers["Vary"]
    etag = response.headers["ETag"].strip('"')
    assert etag.startswith("p-")
    return etag


@pytest.fixture
def public_event(make_event):
    return make_event(title="Open lunch on AI", audience="public")


@pytest.mark.parametrize("path", ["/events", "/events?when=past", "/", "/notes", "/notes/feed.atom"])
def test_an_anonymous_page_answers_304_to_its_etag_without_sql(client, public_event, count_queries, path):
    first = client.get(path)
    assert first.status_code == 200
    etag = _shared(first)
    with count_queries() as counter:
        again = client.get(path, headers={"If-None-Match": f'"{etag}"'})
    assert again.status_code == 304 and again.get_data() == b""
    assert _shared(again) == etag
    assert counter.count == 0, counter.statements


def test_the_event_page_is_kept_and_served_without_sql_until_it_changes(client, public_event, count_queries):
    first = client.get(f"/events/{public_event}")
    assert "Open lunch on AI" in text_of(first)
    etag = _shared(first)
    with count_queries() as counter:
        kept = client.get(f"/events/{public_event}")  # no If-None-Match: the kept body
    assert counter.count == 0 and kept.get_data() == first.get_data() and _shared(kept) == etag
    # Another page has another ETag (the URL is part of it).
    assert _shared(client.get("/events")) != etag


def test_an_organisers_edit_gives_a_new_etag_and_the_new_page(client, login, make_organiser, public_event):
    page = client.get(f"/events/{public_event}")
    etag = _shared(page)
    organiser = login(make_organiser())
    saved = organiser.post(
        f"/organiser/events/{public_event}/edit", data=event_form(title="Open lunch on AI, renamed", audience="public")
    )
    assert saved.status_code == 302
    again = client.get(f"/events/{public_event}", headers={"If-None-Match": f'"{etag}"'})
    assert again.status_code == 200
    assert "Open lunch on AI, renamed" in text_of(again)
    assert _shared(again) != etag
    listing = client.get("/events")
    assert "Open lunch on AI, renamed" in text_of(listing)


def test_a_booking_changes_the_places_left_on_the_anonymous_page(client, login, make_fellow, make_event):
    event_id = make_event(title="Small public lunch", audience="public", capacity=2)
    first = client.get(f"/events/{event_id}")
    assert "2 in total · 2 left" in " ".join(text_of(first).split())
    etag = _shared(first)
    assert login(make_fellow()).post(f"/events/{event_id}/book").status_code in (200, 302)
    again = client.get(f"/events/{event_id}", headers={"If-None-Match": f'"{etag}"'})
    assert again.status_code == 200 and _shared(again) != etag
    assert "2 in total · 1 left" in " ".join(text_of(again).split())


def test_publishing_a_note_shows_at_once_in_the_list(client, login, make_organiser, make_event, make_note):
    event_id = make_event(title="Roundtable", audience="public", starts_at=datetime.now(UTC) - timedelta(days=3))
    note_id = make_note(event_id, state="draft", published_at=None, title="What the roundtable said")
    listing = client.get("/notes")
    assert "What the roundtable said" not in text_of(listing)
    etag = _shared(listing)
    assert login(make_organiser()).post(f"/organiser/notes/{note_id}/publish").status_code == 302
    again = client.get("/notes", headers={"If-None-Match": f'"{etag}"'})
    assert again.status_code == 200 and "What the roundtable said" in text_of(again)
    page = client.get(f"/notes/{note_id}")
    assert page.status_code == 200 and _shared(page)


def test_signed_in_pages_are_private_and_never_get_the_shared_etag(client, login, make_fellow, public_event):
    etag = _shared(client.get(f"/events/{public_event}"))
    fellow = login(make_fellow())
    for path in (f"/events/{public_event}", "/events", "/", "/notes", "/my/bookings"):
        response = fellow.get(path, headers={"If-None-Match": f'"{etag}"'})
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"].startswith("private"), path
        assert "Cookie" in response.headers["Vary"], path
        assert not response.headers.get("ETag", "").strip('"').startswith("p-"), path
    # The fellow's page (with their Sign out form and its CSRF token) was not kept for anonymous visitors.
    anonymous = client.get(f"/events/{public_event}")
    assert "Sign out" not in text_of(anonymous) and 'name="csrf_token"' not in text_of(anonymous)


def test_a_flashed_message_is_never_hidden_behind_a_304(client, auth, make_fellow, public_event):
    etag = _shared(client.get("/"))
    auth.login(make_fellow())
    signed_out = auth.logout()  # flashes "You have signed out" and sends the browser home
    assert signed_out.status_code == 302 and signed_out.headers["Location"].endswith("/")
    home = client.get("/", headers={"If-None-Match": f'"{etag}"'})
    assert home.status_code == 200
    assert "You have signed out on every device." in text_of(home)
    assert home.headers["Cache-Control"].startswith("private")
    assert not home.headers.get("ETag", "").strip('"').startswith("p-")
    # Shown once: the next visit is the shared page again, and its kept copy holds no flash.
    after = client.get("/")
    assert "You have signed out" not in text_of(after)
    assert _shared(after)


def test_an_anonymous_visitor_sent_to_sign_in_gets_no_shared_answer(client, make_event):
    event_id = make_event(title="Fellows only", audience="fellows")
    response = client.get(f"/events/{event_id}")
    assert response.status_code == 302
    assert "ETag" not in response.headers
    assert response.headers["Cache-Control"].startswith("private")  # it flashed "Sign in to see it"


def test_the_etag_moves_on_when_an_event_starts_without_any_write(app, client, make_event, monkeypatch):
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    event_id = make_event(title="Starting soon", audience="public", starts_at=starts)
    etag = _shared(client.get(f"/events/{event_id}"))
    assert client.get(f"/events/{event_id}", headers={"If-None-Match": f'"{etag}"'}).status_code == 304
    import core.caching

    monkeypatch.setattr(core.caching, "utcnow", lambda: starts + timedelta(minutes=1))
    later = client.get(f"/events/{event_id}", headers={"If-None-Match": f'"{etag}"'})
    assert later.status_code == 200 and _shared(later) != etag


def test_pages_stay_correct_without_a_reachable_cache(app, client, public_event):
    """The cache is an optimisation: with Redis unreachable, pages are rendered every time, without ETags."""
    from flask_caching import Cache

    app.config.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL="redis://127.0.0.1:1/0", CACHE_OPTIONS={})
    from extensions import cache

    assert isinstance(cache, Cache)
    cache.init_app(app)  # the same Cache, now bound to an address where nothing listens
    response = client.get(f"/events/{public_event}")
    assert response.status_code == 200 and "Open lunch on AI" in text_of(response)
    assert "ETag" not in response.headers
    assert client.get("/calendar.ics").status_code == 200


def test_with_csrf_protection_on_the_anonymous_event_page_carries_no_token_and_is_shared(csrf_app, public_event):
    """As in production: the event page asks anonymous visitors to sign in, so it has no form, no CSRF token
    and no session cookie, and can be shared; a signed-in fellow's page has its booking form and is private."""
    client = csrf_app.test_client()
    page = client.get(f"/events/{public_event}")
    assert 'name="csrf_token"' not in text_of(page) and "Set-Cookie" not in page.headers
    etag = _shared(page)
    assert client.get(f"/events/{public_event}", headers={"If-None-Match": f'"{etag}"'}).status_code == 304


def test_flask_cache_clear_gives_every_page_a_new_etag(client, runner, public_event):
    """For data changed outside the app (by hand in psql): ``flask cache clear`` (a restore does the same)."""
    etag = _shared(client.get("/events"))
    result = runner.invoke(args=["cache", "clear"])
    assert result.exit_code == 0 and "new validator" in result.output
    again = client.get("/events", headers={"If-None-Match": f'"{etag}"'})
    assert again.status_code == 200 and _shared(again) != etag


def test_a_weak_etag_from_a_compressing_proxy_still_earns_a_304(client, public_event):
    etag = _shared(client.get("/events"))
    assert client.get("/events", headers={"If-None-Match": f'W/"{etag}"'}).status_code == 304


def test_a_sign_in_leaves_every_kept_answer_as_it_was(client, login, make_fellow, make_organiser, public_event):
    """A sign-in writes only the person's last sign-in time, which no kept answer shows: the anonymous pages'
    ETags stay valid (no new generation), while the organisers' page for that fellow shows the sign-in."""
    fellow, organiser = make_fellow(), login(make_organiser())
    assert "Last signed in" not in text_of(organiser.get(f"/organiser/fellows/{fellow.id}/edit"))
    etag = _shared(client.get("/events"))
    login(fellow)
    assert client.get("/events", headers={"If-None-Match": f'"{etag}"'}).status_code == 304
    assert "Last signed in" in text_of(organiser.get(f"/organiser/fellows/{fellow.id}/edit"))
