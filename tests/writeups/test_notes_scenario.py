"""The issue's "done when", tried as a new user would, and the demo write-up of the 2016 lunch."""

from __future__ import annotations

import re

import feedparser

from extensions import db
from tests.notes_helpers import (
    book_fixture,  # noqa: F401  (fixtures)
    get_note,
    past,
    text_of,
)


def test_organiser_writes_up_a_past_event_for_attendees_only(
    app, client, make_event, make_fellow, make_organiser, book, login, outbox
):
    event_id = make_event(title="Digital Government Lunch", starts_at=past(days=3), audience="public")
    attendee_user = make_fellow(name="Amelia Hart", honorific="Dr")
    fellow_user = make_fellow(name="Ben Okafor")
    book(event_id, attendee_user, attendance="attended")
    organiser = login(make_organiser())
    attendee, fellow = login(attendee_user), login(fellow_user)

    # The organiser finds the event on the notes page and writes the note, naming an attendee.
    assert "Digital Government Lunch" in text_of(organiser.get("/organiser/notes"))
    created = organiser.post(
        f"/organiser/events/{event_id}/notes/new",
        data={
            "title": "Shared platforms",
            "summary": "Why shared platforms win.",
            "audience": "attendees",
            "chatham_house": "y",
            "body": "## Discussion\n\nAmelia Hart argued that shared platforms always win.",
        },
    )
    assert created.status_code == 302
    note_id = int(re.search(r"/organiser/notes/(\d+)", created.headers["Location"]).group(1))

    # Publishing warns about the mention and refuses.
    warned = organiser.post(f"/organiser/notes/{note_id}/publish", data={})
    assert warned.status_code == 400
    assert "This note names Dr Amelia Hart — the Chatham House Rule forbids attribution." in text_of(warned)
    assert get_note(app, note_id).state == "draft"

    # The organiser fixes the text and publishes to attendees only.
    edit_form = text_of(organiser.get(f"/organiser/notes/{note_id}/edit"))
    version = re.search(r'name="version" type="hidden" value="(\d+)"', edit_form).group(1)
    fixed = organiser.post(
        f"/organiser/notes/{note_id}/edit",
        data={
            "version": version,
            "title": "Shared platforms",
            "summary": "Why shared platforms win.",
            "audience": "attendees",
            "chatham_house": "y",
            "body": "## Discussion\n\nOne participant argued that shared platforms always win.",
        },
    )
    assert fixed.status_code == 302
    assert organiser.post(f"/organiser/notes/{note_id}/publish", data={}).status_code == 302
    note = get_note(app, note_id)
    assert (note.state, note.audience, note.chatham_house) == ("published", "attendees", True)

    # The attendee is told, and reads it; the note also appears on the event's page for them.
    [message] = outbox(kind="writeup_published")
    assert message.to_address == attendee_user.email
    page = attendee.get(f"/notes/{note_id}")
    assert page.status_code == 200
    assert "One participant argued" in text_of(page) and "Held under the Chatham House Rule" in text_of(page)
    assert f"/notes/{note_id}" in text_of(attendee.get(f"/events/{event_id}"))

    # A fellow who did not attend cannot read it or find it.
    assert fellow.get(f"/notes/{note_id}").status_code == 403
    assert "Shared platforms" not in text_of(fellow.get("/notes?q=platforms"))
    assert f"/notes/{note_id}" not in text_of(fellow.get(f"/events/{event_id}"))

    # The public Atom feed does not show it.
    feed = feedparser.parse(client.get("/notes/feed.atom").data)
    assert not feed.bozo and "Shared platforms" not in [e.title for e in feed.entries]


def test_demo_write_up_is_public_and_reachable_from_its_event_page(app, runner, client):
    from writeups.chatham import find_chatham_house_mentions
    from writeups.demo import LUNCH_NOTE_UID, LUNCH_TITLE
    from writeups.models import Note

    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        counts = (
            db.session.query(Note).count(),
            db.session.query(db.text("1")).select_from(db.table("note_revisions")).count(),
        )
        note = db.session.scalar(db.select(Note).where(Note.uid == LUNCH_NOTE_UID))
        assert note.event.title == LUNCH_TITLE
        assert (note.state, note.audience, note.chatham_house) == ("published", "public", True)
        assert note.published_at > note.event.ends_at
        assert note.image is not None and note.image_credit == "Image: tablet use 1 (flickr)" and note.image_caption
        assert any(link.url == "https://www.jbs.cam.ac.uk/" for link in note.links)
        # Under the Chatham House Rule: the text names none of the event's speakers or attendees.
        assert find_chatham_house_mentions(note) == []
        assert "national grid" in note.body.lower() and "Talk London" in note.body and "Australia" in note.body
        note_id, event_id = note.id, note.event_id
        states = sorted((n.state, n.audience) for n in db.session.scalars(db.select(Note)))
        assert ("draft", "public") in states and ("published", "fellows") in states

    event_page = text_of(client.get(f"/events/{event_id}"))
    assert f'href="/notes/{note_id}"' in event_page
    page = client.get(f"/notes/{note_id}")
    html = text_of(page)
    assert page.status_code == 200
    assert "Held under the Chatham House Rule" in html and "Image: tablet use 1 (flickr)" in html
    assert 'href="https://www.jbs.cam.ac.uk/"' in html and f'href="/events/{event_id}"' in html
    assert client.get(f"/notes/{note_id}/image").status_code == 200
    feed = feedparser.parse(client.get("/notes/feed.atom").data)
    assert [e.link for e in feed.entries] == [f"http://localhost/notes/{note_id}"]

    # Loading the demo again changes nothing.
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        assert (
            db.session.query(Note).count(),
            db.session.query(db.text("1")).select_from(db.table("note_revisions")).count(),
        ) == counts
