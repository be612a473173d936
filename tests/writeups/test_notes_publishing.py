"""The workflow's effects: publication date, unpublishing, the Atom feed, and the email attendees get."""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser
import pytest

from extensions import db
from tests.conftest import link_in
from tests.notes_helpers import book_fixture, get_note, make_note_fixture, past, text_of  # noqa: F401  (fixtures)


def test_publish_then_unpublish_then_publish_again(app, client, make_event, make_note, make_organiser, login):
    event_id = make_event(starts_at=past())
    note_id = make_note(event_id, state="draft", published_at=None, title="Cycle note")
    organiser = login(make_organiser())
    assert client.get(f"/notes/{note_id}").status_code == 404
    assert organiser.post(f"/organiser/notes/{note_id}/publish").status_code == 302
    first = get_note(app, note_id).published_at
    assert first is not None and client.get(f"/notes/{note_id}").status_code == 200
    assert organiser.post(f"/organiser/notes/{note_id}/unpublish").status_code == 302
    assert get_note(app, note_id).state == "unpublished"
    assert client.get(f"/notes/{note_id}").status_code == 404
    assert "Cycle note" not in text_of(client.get("/notes"))
    # Unpublishing twice is refused with a message, not an error page.
    again = organiser.post(f"/organiser/notes/{note_id}/unpublish", follow_redirects=True)
    assert "Only a published note can be unpublished" in text_of(again)
    assert organiser.post(f"/organiser/notes/{note_id}/publish").status_code == 302
    assert get_note(app, note_id).published_at == first  # the original publication date is kept


def test_a_note_of_a_draft_event_cannot_be_published(app, make_event, make_note, make_organiser, login):
    event_id = make_event(state="draft", starts_at=past())
    note_id = make_note(event_id, state="draft", published_at=None)
    response = login(make_organiser()).post(f"/organiser/notes/{note_id}/publish")
    assert response.status_code == 400 and "Publish the event before its write-up" in text_of(response)
    assert get_note(app, note_id).state == "draft"


def test_feed_is_valid_atom_with_only_public_published_notes(app, client, make_event, make_note):
    event_id = make_event(starts_at=past(), topics=("Digital government",))
    make_note(
        event_id,
        title="Public one & <more>",
        summary="Open to all.",
        audience="public",
        topics=("Digital government",),
        published_at=datetime(2024, 5, 1, 9, tzinfo=UTC),
        body="## Heading\n\nText with **bold**.",
    )
    make_note(event_id, title="Public two", audience="public", published_at=datetime(2024, 6, 1, 9, tzinfo=UTC))
    make_note(event_id, title="Fellows only", audience="fellows")
    make_note(event_id, title="Attendees only", audience="attendees")
    make_note(event_id, title="Still a draft", audience="public", state="draft", published_at=None)
    make_note(event_id, title="Taken down", audience="public", state="unpublished")
    hidden_event = make_event(state="draft", starts_at=past())
    make_note(hidden_event, title="Draft event note", audience="public")

    response = client.get("/notes/feed.atom")
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "Policy Fellowship: write-ups"
    assert [e.title for e in feed.entries] == ["Public two", "Public one & <more>"]
    entry = feed.entries[1]
    assert entry.id.startswith("urn:uuid:")
    assert entry.link.startswith("http://localhost/notes/")
    assert entry.summary == "Open to all."
    assert entry.published_parsed[:3] == (2024, 5, 1)
    assert [t.term for t in entry.tags] == ["digital-government"]
    assert "<strong>bold</strong>" in entry.content[0].value
    assert any(link.rel == "self" and link.href == "http://localhost/notes/feed.atom" for link in feed.feed.links)
    # Entry ids do not change between fetches, so feed readers never show a note twice.
    assert [e.id for e in feedparser.parse(client.get("/notes/feed.atom").data).entries] == [e.id for e in feed.entries]


def test_empty_feed_is_still_valid(client):
    feed = feedparser.parse(client.get("/notes/feed.atom").data)
    assert not feed.bozo and feed.entries == [] and feed.version == "atom10"


def test_note_pages_advertise_the_feed_in_the_head(client, make_event, make_note):
    note_id = make_note(make_event(starts_at=past()))
    html = text_of(client.get(f"/notes/{note_id}"))
    head = html.split("</head>")[0]
    assert '<link rel="alternate" type="application/atom+xml"' in head and "/notes/feed.atom" in head


@pytest.mark.parametrize("audience", ["public", "fellows", "attendees"])
def test_publishing_tells_attendees_who_can_read_it_once(
    app, make_event, make_fellow, make_note, make_organiser, book, login, outbox, audience
):
    event_id = make_event(starts_at=past(), title="Grid lunch")
    attended, unrecorded = make_fellow(name="Ann Attended"), make_fellow(name="Una Recorded")
    no_show, opted_out = make_fellow(name="Nora Show"), make_fellow(name="Otto Out", notify_writeups=False)
    waitlisted, stranger = make_fellow(), make_fellow()
    book(event_id, attended, attendance="attended")
    book(event_id, unrecorded)
    book(event_id, no_show, attendance="no_show")
    book(event_id, opted_out)
    book(event_id, waitlisted, state="waitlisted")
    note_id = make_note(
        event_id,
        state="in_review",
        published_at=None,
        audience=audience,
        title="Grid write-up",
        summary="What we said about grids.",
        chatham_house=True,
    )
    organiser = login(make_organiser())

    response = organiser.post(f"/organiser/notes/{note_id}/publish", follow_redirects=True)
    assert "2 attendees will be told by email" in text_of(response)
    messages = outbox(kind="writeup_published")
    assert sorted(m.to_address for m in messages) == sorted([attended.email, unrecorded.email])
    assert stranger.email not in {m.to_address for m in messages}
    message = next(m for m in messages if m.to_address == attended.email)
    assert message.subject == "Write-up published: Grid write-up" and message.user_id == attended.id
    assert "Grid lunch" in message.text_body and "Chatham House Rule" in message.text_body
    assert "Grid write-up" in message.html_body
    # The link in the email opens the note for that attendee.
    assert login(attended).get(link_in(message, "/notes/")).status_code == 200

    organiser.post(f"/organiser/notes/{note_id}/unpublish")
    organiser.post(f"/organiser/notes/{note_id}/publish")
    assert len(outbox(kind="writeup_published")) == 2  # republishing does not email again


def test_manage_page_lists_notes_by_state(app, make_event, make_note, make_organiser, login):
    event_id = make_event(starts_at=past())
    make_note(event_id, title="Draft A", state="draft", published_at=None)
    make_note(event_id, title="Live B")
    organiser = login(make_organiser())
    html = text_of(organiser.get("/organiser/notes"))
    assert "Draft A" in html and "Live B" in html and "Draft (1)" in html and "Published (1)" in html
    drafts = text_of(organiser.get("/organiser/notes?state=draft"))
    assert "Draft A" in drafts and "Live B" not in drafts
    started = organiser.get(f"/organiser/notes/new?event_id={event_id}")
    assert started.status_code == 302
    assert started.headers["Location"].endswith(f"/organiser/events/{event_id}/notes/new")
    with app.app_context():
        from writeups.models import Note

        assert db.session.query(Note).count() == 2


def test_feed_costs_the_same_queries_for_few_and_many_notes(app, client, make_event, make_note, count_queries):
    """Each entry shows its event, topics and further reading: loaded for all entries at once, not per entry."""
    from writeups.models import Note, NoteLink

    def queries_with(total: int) -> tuple[int, feedparser.FeedParserDict]:
        with app.app_context():
            existing = db.session.query(Note).count()
        for n in range(existing, total):
            event_id = make_event(starts_at=past(days=10 + n), title=f"Lunch {n}")
            note_id = make_note(event_id, title=f"Entry {n}", topics=(f"Topic {n % 3}",), chatham_house=n % 2 == 0)
            with app.app_context():
                db.session.add_all(
                    NoteLink(note_id=note_id, position=i, title=f"Reading {n}.{i}", url=f"https://example.org/{n}/{i}")
                    for i in range(2)
                )
                db.session.commit()
        with count_queries() as counter:
            response = client.get("/notes/feed.atom")
        assert response.status_code == 200
        return counter.count, feedparser.parse(response.data)

    few, few_feed = queries_with(3)
    many, many_feed = queries_with(30)
    assert few == many
    assert len(few_feed.entries) == 3 and len(many_feed.entries) == 30
    # The eagerly loaded pieces are really in the entries.
    content = {entry.title: entry.content[0].value for entry in many_feed.entries}
    assert "Reading 29.1" in content["Entry 29"] and "Write-up of Lunch 29" in content["Entry 29"]
    assert [tag.term for tag in many_feed.entries[0].tags] == ["topic-2"]
