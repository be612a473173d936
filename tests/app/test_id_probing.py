"""Issue 13, defect 7: nobody but an organiser can tell from the answer whether an id exists.

For each URL below, the status code and the Location of the answer must be the same for an id that
exists and for one that does not, as an anonymous visitor and as a signed-in fellow. (A note's
restore key is random in every answer, and the id itself is part of the address, so both are
replaced by placeholders before comparing.)"""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from extensions import db
from tests.notes_helpers import past

MISSING = 987654

NOTE_FORM = {"version": "1", "title": "Grid", "summary": "Short.", "body": "Words typed here.", "audience": "fellows"}

#: (method, URL template, the kind of id it takes, form data)
URLS = [
    ("POST", "/organiser/events/{id}/notes/new", "event", NOTE_FORM),
    ("GET", "/organiser/events/{id}/notes/new", "event", None),
    ("POST", "/organiser/notes/{id}/edit", "note", NOTE_FORM),
    ("GET", "/organiser/notes/{id}/edit", "note", None),
    ("POST", "/bookings/{id}/cancel", "booking", {}),
]


@pytest.fixture
def existing_ids(app, make_event, make_fellow):
    """An event, a note of it and a booking held by a fellow other than the one probing."""
    from events.models import Booking
    from writeups.models import Note

    event_id = make_event(starts_at=past(), audience="public")
    upcoming = make_event(capacity=5)
    holder = make_fellow()
    with app.app_context():
        note = Note(event_id=event_id, title="Grid", summary="Short.", body="Text.", audience="fellows")
        booking = Booking(event_id=upcoming, user_id=holder.id, state="confirmed")
        db.session.add_all([note, booking])
        db.session.commit()
        return {"event": event_id, "note": note.id, "booking": booking.id}


def _answer(client, method: str, url: str, data) -> tuple[int, str | None]:
    response = client.open(url, method=method, data=data)
    location = response.headers.get("Location")
    if location is not None:
        location = re.sub(r"restore=[\w-]+", "restore=KEY", unquote(location))
    return response.status_code, location


@pytest.mark.parametrize("method, template, kind, data", URLS, ids=[f"{m} {t}" for m, t, _, _ in URLS])
@pytest.mark.parametrize("role", ["anonymous", "fellow"])
def test_the_answer_does_not_say_whether_the_id_exists(
    app, client, login, make_fellow, existing_ids, method, template, kind, data, role
):
    visitor = client if role == "anonymous" else login(make_fellow())
    existing_id = existing_ids[kind]

    status, location = _answer(visitor, method, template.format(id=existing_id), data)
    missing_status, missing_location = _answer(visitor, method, template.format(id=MISSING), data)

    placeholder = template.format(id="ID")
    assert (missing_status, (missing_location or "").replace(template.format(id=MISSING), placeholder)) == (
        status,
        (location or "").replace(template.format(id=existing_id), placeholder),
    )
    if role == "anonymous":
        assert status == 302 and location.startswith("/login?next=")
    else:
        assert status in (403, 404)


def test_text_sent_for_a_missing_id_is_not_kept_but_text_for_a_real_one_is(app, client, existing_ids):
    from writeups.models import NoteDraftStash

    client.post(f"/organiser/notes/{MISSING}/edit", data=NOTE_FORM)
    client.post(f"/organiser/events/{MISSING}/notes/new", data=NOTE_FORM)
    with app.app_context():
        assert db.session.query(NoteDraftStash).count() == 0

    client.post(f"/organiser/notes/{existing_ids['note']}/edit", data=NOTE_FORM)
    with app.app_context():
        kept = db.session.scalars(db.select(NoteDraftStash)).all()
        assert [(s.event_id, s.note_id, s.data["body"]) for s in kept] == [
            (existing_ids["event"], existing_ids["note"], "Words typed here.")
        ]


def test_an_organiser_still_gets_404_for_a_missing_id(login, make_organiser):
    organiser = login(make_organiser())
    assert organiser.post(f"/organiser/notes/{MISSING}/edit", data=NOTE_FORM).status_code == 404
    assert organiser.get(f"/organiser/events/{MISSING}/notes/new").status_code == 404
