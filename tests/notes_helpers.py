"""Fixtures and helpers shared by the write-up tests.

Test modules import the ``*_fixture`` functions; pytest registers them under their ``name``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from extensions import db

ROLES = ("anonymous", "fellow", "attendee", "organiser")
AUDIENCES = ("public", "fellows", "attendees")


def past(days: int = 30) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(days=days)


@pytest.fixture(name="make_note")
def make_note_fixture(app):
    """make_note(event_id, **fields) → the id of a note (published, public by default)."""
    from core.models import Tag, slugify
    from writeups.models import Note

    def factory(event_id: int, *, topics: tuple[str, ...] = (), **fields) -> int:
        fields.setdefault("title", "A write-up")
        fields.setdefault("summary", "What was discussed.")
        fields.setdefault("body", "## Discussion\n\nParticipants talked.")
        fields.setdefault("state", "published")
        fields.setdefault("audience", "public")
        if fields["state"] == "published":
            fields.setdefault("published_at", datetime.now(UTC))
        with app.app_context():
            note = Note(event_id=event_id, **fields)
            for name in topics:
                tag = db.session.scalar(db.select(Tag).filter_by(name=name))
                note.topics.append(tag or Tag(name=name, slug=slugify(name)))
            db.session.add(note)
            db.session.commit()
            return note.id

    return factory


@pytest.fixture(name="book")
def book_fixture(app):
    """book(event_id, user, state="confirmed", attendance=None) → booking id."""
    from events.models import Booking

    def factory(event_id: int, user, state: str = "confirmed", attendance: str | None = None) -> int:
        with app.app_context():
            booking = Booking(event_id=event_id, user_id=user.id, state=state, attendance=attendance)
            db.session.add(booking)
            db.session.commit()
            return booking.id

    return factory


@pytest.fixture(name="people")
def people_fixture(make_fellow, make_organiser, make_event, book, login, client):
    """An event in the past and a client per role: anonymous, fellow (not booked), attendee, organiser."""

    def factory(**event_fields):
        event_fields.setdefault("starts_at", past())
        event_id = make_event(**event_fields)
        fellow, attendee, organiser = make_fellow(), make_fellow(), make_organiser()
        book(event_id, attendee)
        clients = {
            "anonymous": client,
            "fellow": login(fellow),
            "attendee": login(attendee),
            "organiser": login(organiser),
        }
        return event_id, clients, {"fellow": fellow, "attendee": attendee, "organiser": organiser}

    return factory


def get_note(app, note_id: int):
    from writeups.models import Note

    with app.app_context():
        note = db.session.get(Note, note_id)
        if note is None:
            return None
        _ = (note.links, note.topics, note.revisions, note.event)
        db.session.expunge_all()
        return note


def text_of(response) -> str:
    return response.get_data(as_text=True)
