"""The Chatham House check: names of speakers and booked attendees are found before publishing,
publishing is refused until each is removed or deliberately confirmed, and confirmations are recorded."""

from __future__ import annotations

import pytest

from extensions import db
from tests.notes_helpers import book_fixture, get_note, make_note_fixture, past, text_of  # noqa: F401  (fixtures)


@pytest.fixture
def chatham_event(app, make_event, make_fellow, book):
    """A past event with speaker Dr Mark Thompson and attendees Prof Jane Doe and Ben Okafor (waitlisted)."""
    from events.models import Speaker

    event_id = make_event(starts_at=past())
    with app.app_context():
        db.session.add(Speaker(event_id=event_id, honorific="Dr", name="Mark Thompson", position=0))
        db.session.commit()
    jane = make_fellow(name="Jane Doe", honorific="Prof")
    ben = make_fellow(name="Ben Okafor")
    book(event_id, jane)
    book(event_id, ben, state="waitlisted")
    return event_id


def mentions_in(app, event_id: int, text: str, **note_fields) -> list:
    from writeups.models import Note
    from writeups.services import find_chatham_house_mentions

    with app.app_context():
        note = Note(
            event_id=event_id,
            title=note_fields.get("title", "A title"),
            summary="",
            body=text,
            image_caption=note_fields.get("image_caption"),
        )
        return [(m.person, m.text, m.role, m.count) for m in find_chatham_house_mentions(note)]


@pytest.mark.parametrize(
    "text, found",
    [
        ("Mark Thompson argued for a national grid.", "Mark Thompson"),
        ("As Dr Mark Thompson put it, ...", "Dr Mark Thompson"),
        ("as dr. mark thompson said", "dr. mark thompson"),
        ("DR THOMPSON disagreed.", "DR THOMPSON"),
        ("Professor Thompson's view", "Professor Thompson"),
        ("Mark\nThompson, speaking first", "Mark Thompson"),
        ("(Mr Thompson) replied", "Mr Thompson"),
    ],
)
def test_finds_a_speaker_case_insensitively_with_or_without_honorific(app, chatham_event, text, found):
    mentions = mentions_in(app, chatham_event, text)
    assert [(m[0], m[1], m[2]) for m in mentions] == [("Dr Mark Thompson", found, "speaker")]


@pytest.mark.parametrize(
    "text",
    [
        "Thompsons and Marks were not discussed.",  # not whole words
        "Mark Thompsonian ideas",
        "Thompson alone is too common a word to flag.",
        "Mark made a point; Thompson's law was cited.",
        "Ben Okafor was on the waitlist only.",  # waitlisted: not a booked attendee
    ],
)
def test_ignores_partial_words_bare_surnames_and_unbooked_people(app, chatham_event, text):
    assert mentions_in(app, chatham_event, text) == []


def test_finds_attendees_in_title_caption_and_counts_repeats(app, chatham_event):
    mentions = mentions_in(
        app,
        chatham_event,
        "Jane Doe spoke. Later jane doe spoke again.",
        title="With Prof Doe",
        image_caption="Prof. Jane Doe at the lunch",
    )
    assert mentions == [("Prof Jane Doe", "Prof Doe", "attendee", 4)]


def test_publishing_is_refused_until_text_is_fixed(app, client, chatham_event, make_organiser, login, make_note):
    note_id = make_note(
        chatham_event,
        state="draft",
        published_at=None,
        chatham_house=True,
        body="Dr Mark Thompson compared departments to households with generators.",
    )
    organiser = login(make_organiser())
    page = organiser.get(f"/organiser/notes/{note_id}")
    assert "This note names Dr Mark Thompson — the Chatham House Rule forbids attribution." in text_of(page)

    refused = organiser.post(f"/organiser/notes/{note_id}/publish", data={})
    assert refused.status_code == 400
    assert "This note names Dr Mark Thompson — the Chatham House Rule forbids attribution." in text_of(refused)
    assert get_note(app, note_id).state == "draft"

    note = get_note(app, note_id)
    saved = organiser.post(
        f"/organiser/notes/{note_id}/edit",
        data={
            "version": note.version,
            "title": note.title,
            "summary": note.summary,
            "audience": "public",
            "chatham_house": "y",
            "body": "The speaker compared departments to households with generators.",
        },
    )
    assert saved.status_code == 302
    published = organiser.post(f"/organiser/notes/{note_id}/publish", data={})
    assert published.status_code == 302
    note = get_note(app, note_id)
    assert note.state == "published" and note.published_at is not None
    from writeups.models import ChathamHouseConfirmation

    with app.app_context():
        assert db.session.query(ChathamHouseConfirmation).count() == 0
    reader = client.get(f"/notes/{note_id}")
    assert "Held under the Chatham House Rule" in text_of(reader)


def test_confirmed_mentions_are_let_through_and_recorded(app, chatham_event, make_organiser, login, make_note):
    note_id = make_note(
        chatham_event,
        state="in_review",
        published_at=None,
        chatham_house=True,
        body="See Dr Thompson's published talk. Jane Doe chaired.",
    )
    organiser_user = make_organiser(name="Olivia Grant")
    organiser = login(organiser_user)
    with app.app_context():
        from events.models import Speaker
        from fellows.models import User

        speaker_key = f"speaker:{db.session.scalar(db.select(Speaker.id))}"
        jane_key = f"attendee:{db.session.scalar(db.select(User.id).filter_by(name='Jane Doe'))}"

    # Confirming only one of two mentions is not enough.
    partly = organiser.post(f"/organiser/notes/{note_id}/publish", data={"confirm": [speaker_key]})
    assert partly.status_code == 400
    html = text_of(partly)
    assert (
        "This note names Prof Jane Doe" in html
        and "This note names Dr Mark Thompson" not in html.split("There is a problem")[1].split("</div>")[0]
    )
    assert get_note(app, note_id).state == "in_review"

    done = organiser.post(f"/organiser/notes/{note_id}/publish", data={"confirm": [speaker_key, jane_key]})
    assert done.status_code == 302
    assert get_note(app, note_id).state == "published"
    from writeups.models import ChathamHouseConfirmation

    with app.app_context():
        rows = db.session.scalars(db.select(ChathamHouseConfirmation).order_by(ChathamHouseConfirmation.id)).all()
        assert [(r.person_key, r.mention, r.person) for r in rows] == [
            (speaker_key, "Dr Thompson", "Dr Mark Thompson (speaker)"),
            (jane_key, "Jane Doe", "Prof Jane Doe (attendee)"),
        ]
        assert all(r.confirmed_by_id == organiser_user.id and r.confirmed_at for r in rows)
    assert "Dr Thompson" in text_of(organiser.get(f"/organiser/notes/{note_id}"))


def test_notes_not_under_the_rule_are_not_checked(app, chatham_event, make_organiser, login, make_note):
    note_id = make_note(
        chatham_event, state="draft", published_at=None, chatham_house=False, body="Dr Mark Thompson gave the talk."
    )
    response = login(make_organiser()).post(f"/organiser/notes/{note_id}/publish", data={})
    assert response.status_code == 302
    assert get_note(app, note_id).state == "published"
