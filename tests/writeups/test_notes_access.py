"""Who may read which write-up: every audience × role in the list, the page, search and the feed,
the states only organisers see, the filters, pagination and the list's query count."""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser
import pytest

from extensions import db
from tests.notes_helpers import AUDIENCES, ROLES, book_fixture, make_note_fixture, past, people_fixture, text_of  # noqa: F401  (fixtures)

VISIBLE_TO = {
    "public": {"anonymous", "fellow", "attendee", "organiser"},
    "fellows": {"fellow", "attendee", "organiser"},
    "attendees": {"attendee", "organiser"},
}


def feed_titles(client) -> list[str]:
    response = client.get("/notes/feed.atom")
    assert response.status_code == 200
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return [entry.title for entry in parsed.entries]


@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("role", ROLES)
def test_published_note_audience_in_list_page_search_and_feed(people, make_note, role, audience):
    event_id, clients, _ = people()
    title = f"Zanzibar write-up for {audience}"
    note_id = make_note(event_id, audience=audience, title=title, body="The quokka argument carried the day.")
    client = clients[role]
    allowed = role in VISIBLE_TO[audience]

    assert (title in text_of(client.get("/notes"))) is allowed
    assert (title in text_of(client.get("/notes?q=quokka"))) is allowed
    page = client.get(f"/notes/{note_id}")
    if allowed:
        assert page.status_code == 200
        assert "quokka argument" in text_of(page)
    elif role == "anonymous":
        assert page.status_code == 302 and "/login" in page.headers["Location"]
    else:
        assert page.status_code == 403
        assert "quokka" not in text_of(page)
    assert client.get(f"/notes/{note_id}/image").status_code in ((404,) if allowed else (302, 403))
    # The feed is the same for everyone: public notes only.
    assert (title in feed_titles(client)) is (audience == "public")


@pytest.mark.parametrize("state", ["draft", "in_review", "unpublished"])
@pytest.mark.parametrize("role", ROLES)
def test_unpublished_states_are_for_organisers_only(people, make_note, role, state):
    event_id, clients, _ = people()
    note_id = make_note(event_id, audience="public", state=state, title="Hidden quokka draft", published_at=None)
    client = clients[role]
    page = client.get(f"/notes/{note_id}")
    assert page.status_code == (200 if role == "organiser" else 404)
    # Drafts belong on the organisers' pages, never in the reading list, search or feed.
    assert "Hidden quokka draft" not in text_of(client.get("/notes"))
    assert "Hidden quokka draft" not in text_of(client.get("/notes?q=quokka"))
    assert "Hidden quokka draft" not in feed_titles(client)
    manage = client.get("/organiser/notes")
    if role == "organiser":
        assert "Hidden quokka draft" in text_of(manage)
    else:
        assert manage.status_code == (302 if role == "anonymous" else 403)


@pytest.mark.parametrize(
    "booking_state, attendance, allowed",
    [
        ("confirmed", None, True),
        ("confirmed", "attended", True),
        ("confirmed", "no_show", False),  # not in the room whose discussion the note records
        ("waitlisted", None, False),
        ("cancelled", None, False),
    ],
)
def test_attendees_only_means_a_confirmed_booking_not_marked_no_show(
    make_event, make_fellow, make_note, book, login, booking_state, attendance, allowed
):
    event_id = make_event(starts_at=past())
    fellow = make_fellow()
    book(event_id, fellow, state=booking_state, attendance=attendance)
    note_id = make_note(event_id, audience="attendees", title="Attendees quokka")
    client = login(fellow)
    assert client.get(f"/notes/{note_id}").status_code == (200 if allowed else 403)
    assert ("Attendees quokka" in text_of(client.get("/notes"))) is allowed


def test_booking_for_another_event_does_not_count(make_event, make_fellow, make_note, book, login):
    event_id, other_id = make_event(starts_at=past()), make_event(starts_at=past())
    fellow = make_fellow()
    book(other_id, fellow)
    note_id = make_note(event_id, audience="attendees")
    assert login(fellow).get(f"/notes/{note_id}").status_code == 403


def test_notes_of_a_draft_event_stay_hidden_from_readers(people, make_note):
    event_id, clients, _ = people(state="draft")
    note_id = make_note(event_id, audience="public", title="Draft event quokka")
    for role in ("anonymous", "fellow", "attendee"):
        assert clients[role].get(f"/notes/{note_id}").status_code == 404
        assert "Draft event quokka" not in text_of(clients[role].get("/notes"))
    assert clients["organiser"].get(f"/notes/{note_id}").status_code == 200


def test_unknown_note_is_404(client):
    assert client.get("/notes/999999").status_code == 404


def test_list_is_newest_first_and_paginated(app, make_event, make_note, client):
    event_id = make_event(starts_at=past())
    for n in range(25):
        make_note(event_id, title=f"Note number {n:02d}", published_at=datetime(2020, 1, 1 + n, tzinfo=UTC))
    first = text_of(client.get("/notes"))
    assert "25 write-ups found" in first
    assert first.index("Note number 24") < first.index("Note number 23")
    assert "Note number 04" not in first and "Page 1 of 2" in first
    second = text_of(client.get("/notes?page=2"))
    assert "Note number 04" in second and "Note number 00" in second and "Note number 24" not in second


def test_filters_by_topic_kind_year_and_search(make_event, make_note, client):
    lunch = make_event(
        title="Lunch 2016",
        kind="lunch",
        starts_at=datetime(2016, 10, 12, 12, tzinfo=UTC),
        topics=("Digital government",),
    )
    seminar = make_event(title="Seminar 2019", kind="seminar", starts_at=datetime(2019, 3, 5, 17, tzinfo=UTC))
    make_note(lunch, title="Grid note", body="A national grid for government.", topics=("Digital government",))
    make_note(seminar, title="Energy note", summary="Heat pumps and the transition.", topics=("Energy and climate",))

    def titles(query: str) -> set[str]:
        html = text_of(client.get("/notes" + query))
        return {t for t in ("Grid note", "Energy note") if t in html}

    assert titles("") == {"Grid note", "Energy note"}
    assert titles("?topic=digital-government") == {"Grid note"}
    assert titles("?kind=seminar") == {"Energy note"}
    assert titles("?year=2016") == {"Grid note"}
    assert titles("?year=2019&kind=lunch") == set()
    assert titles("?q=HEAT+pumps") == {"Energy note"}  # summary, any case, every word
    assert titles("?q=national+grid") == {"Grid note"}  # body
    assert titles("?q=grid+pumps") == set()
    assert titles("?q=100%25") == set()  # LIKE wildcards are literal
    html = text_of(client.get("/notes"))
    assert '<option value="2016"' in html and '<option value="2019"' in html


def test_new_year_filter_uses_local_time(make_event, make_note, client):
    # 23:30 UTC on 31 December 2015 is still 2015 in London; 00:30 BST-free January is 2016.
    event_id = make_event(starts_at=datetime(2015, 12, 31, 23, 30, tzinfo=UTC))
    make_note(event_id, title="Hogmanay note")
    assert "Hogmanay note" in text_of(client.get("/notes?year=2015"))
    assert "Hogmanay note" not in text_of(client.get("/notes?year=2016"))


@pytest.mark.parametrize("role", ["anonymous", "fellow", "organiser"])
def test_list_query_count_does_not_grow_with_notes(app, people, make_note, count_queries, role):
    event_id, clients, _ = people()
    client = clients[role]

    def count_for_total(total: int) -> int:
        from writeups.models import Note

        with app.app_context():
            existing = db.session.query(Note).count()
        for n in range(existing, total):
            make_note(event_id, title=f"Counted {n}", topics=(f"Topic {n % 3}",), audience=AUDIENCES[n % 3])
        with count_queries() as counter:
            response = client.get("/notes")
        assert response.status_code == 200
        return counter.count

    assert count_for_total(5) == count_for_total(50)


def test_list_advertises_the_atom_feed(client):
    html = text_of(client.get("/notes"))
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert 'href="/notes/feed.atom"' in html


def test_search_understands_word_forms_on_postgresql(app, make_event, make_note, client):
    make_note(make_event(starts_at=past()), title="Stemming", body="The transformation of public services.")
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
    # Full text search stems words ("transforming" → "transform"); the portable search matches substrings.
    assert ("Stemming" in text_of(client.get("/notes?q=transforming"))) is postgres
    assert "Stemming" in text_of(client.get("/notes?q=TRANSFORM"))


@pytest.mark.parametrize("q", ['"unclosed', "a & | ! ()", "%", "_", "\\", "' OR 1=1 --", "x" * 300])
def test_odd_search_text_is_harmless(make_event, make_note, client, q):
    make_note(make_event(starts_at=past()), title="Ordinary note")
    response = client.get("/notes", query_string={"q": q})
    assert response.status_code == 200 and "Ordinary note" not in text_of(response)


def test_home_page_shows_the_latest_write_ups_the_visitor_may_read(people, make_note):
    event_id, clients, _ = people()
    make_note(event_id, title="Open home note", audience="public")
    make_note(event_id, title="Fellows home note", audience="fellows")
    anonymous = text_of(clients["anonymous"].get("/"))
    assert "Latest write-ups" in anonymous and "Open home note" in anonymous and "Fellows home note" not in anonymous
    assert "Fellows home note" in text_of(clients["fellow"].get("/"))


@pytest.mark.parametrize("role", ROLES)
def test_event_page_lists_the_notes_this_viewer_may_read(people, make_note, role):
    event_id, clients, _ = people(audience="public")
    titles = {audience: f"Event {audience} note" for audience in AUDIENCES}
    for audience, title in titles.items():
        make_note(event_id, audience=audience, title=title)
    make_note(event_id, title="Event draft note", state="draft", published_at=None)
    html = text_of(clients[role].get(f"/events/{event_id}"))
    for audience, title in titles.items():
        assert (title in html) is (role in VISIBLE_TO[audience]), title
    assert "Event draft note" not in html
    assert ("Write up this event" in html) is (role == "organiser")
