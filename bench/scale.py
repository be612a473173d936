"""Data at the size of a large programme, for benchmarks and the gunicorn soak test.

``scale_up(factor)`` adds, to a database that has the demo data, ``factor`` × (5,000 fellows, 2,000
events, 100,000 bookings, 2,000 published write-ups, 400 organisations), in bulk inserts through the
app's own models, seeded so that a factor always gives the same rows. One upcoming public event gets
min(500, 80 % of the fellows) bookings (confirmed up to its 400 places, then waitlisted, some
cancelled): the attendee page's worst case. Run it inside an application context.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select
from werkzeug.security import generate_password_hash

from core.models import Tag
from events.models import AUDIENCES, EVENT_KINDS, Booking, Event
from events.notes.models import Note
from extensions import db
from fellows.demo import DEMO_PASSWORD, FELLOW_EMAIL, ORGANISER_EMAIL
from fellows.models import SECTORS, VISIBILITIES, Organisation, User, user_interests

TARGET = {"fellows": 5000, "events": 2000, "bookings": 100_000, "notes": 2000, "organisations": 400}
BIG_EVENT_TITLE = "Scaled: the big policy conference"
FIRST = "Amara Bruno Carys Dmitri Elin Felix Gita Hamid Ines Jakub Keiko Liam Maya Niall Oona Pavel Rhys Sana".split()
LAST = "Abbott Baker Chowdhury Devlin Ellis Ferreira Gupta Hussain Ivanova Jensen Kowalski Lambert Moreau".split()


@dataclass
class Scaled:
    """What a measurement needs to find in the scaled data."""

    factor: float
    fellows: int
    events: int
    bookings: int
    notes: int
    big_event_id: int
    public_note_id: int
    organiser_email: str = ORGANISER_EMAIL
    fellow_email: str = FELLOW_EMAIL
    password: str = DEMO_PASSWORD


def _count(factor: float, name: str) -> int:
    return max(1, round(TARGET[name] * factor))


def _insert(model, rows: list[dict]) -> list[int]:
    if not rows:
        return []
    return list(db.session.scalars(insert(model).returning(model.id), rows))


def scale_up(factor: float, seed: int = 2016) -> Scaled:
    """Add ``factor`` of the target size to the demo data and commit; returns the ids measurements use."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0, second=0)
    password_hash = generate_password_hash(DEMO_PASSWORD)
    tag_ids = list(db.session.scalars(select(Tag.id)))

    organisations = _insert(
        Organisation,
        [
            {"name": f"Scaled organisation {n:04}", "kind": rng.choice(["government", "university", "company"])}
            for n in range(_count(factor, "organisations"))
        ],
    )
    fellows = _insert(
        User,
        [
            {
                "email": f"scaled.fellow.{n:05}@example.org",
                "password_hash": password_hash,
                "role": "fellow",
                "name": f"{rng.choice(FIRST)} {rng.choice(LAST)} {n:05}",
                "organisation_id": rng.choice(organisations),
                "sector": rng.choice(list(SECTORS)),
                "cohort": rng.randint(2010, 2026),
                "visibility": rng.choice(list(VISIBILITIES)),
                "links": [],
            }
            for n in range(_count(factor, "fellows"))
        ],
    )
    if tag_ids:
        db.session.execute(
            insert(user_interests),
            [
                {"user_id": fellow, "tag_id": tag}
                for fellow in fellows
                for tag in rng.sample(tag_ids, min(len(tag_ids), 2))
            ],
        )

    event_rows = []
    for n in range(_count(factor, "events") - 1):
        starts = now + timedelta(days=rng.randint(-2400, 180), hours=rng.randint(-3, 3))
        event_rows.append(
            {
                "title": f"Scaled {rng.choice(list(EVENT_KINDS))} {n:05}",
                "kind": rng.choice(list(EVENT_KINDS)),
                "summary": "A scaled event for measurements.",
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=2),
                "capacity": rng.choice([None, 20, 40, 80]),
                "audience": rng.choice(list(AUDIENCES)),
                "state": "published",
                "published_at": starts - timedelta(days=30),
                "host_id": rng.choice(organisations),
            }
        )
    events = _insert(Event, event_rows)
    big_starts = now + timedelta(days=21)
    (big_event,) = _insert(
        Event,
        [
            {
                "title": BIG_EVENT_TITLE,
                "kind": "conference",
                "starts_at": big_starts,
                "ends_at": big_starts + timedelta(hours=8),
                "capacity": 400,
                "audience": "public",
                "state": "published",
                "published_at": now - timedelta(days=30),
            }
        ],
    )

    bookings = []
    big_people = rng.sample(fellows, min(500, int(0.8 * len(fellows))))
    for position, fellow in enumerate(big_people):
        state = "cancelled" if rng.random() < 0.12 else "confirmed" if position < 400 else "waitlisted"
        bookings.append(_booking(rng, big_event, fellow, state, now))
    wanted = _count(factor, "bookings") - len(bookings)
    seen = set()
    while len(seen) < wanted and events:
        pair = (rng.choice(events), rng.choice(fellows))
        if pair not in seen:
            seen.add(pair)
            bookings.append(_booking(rng, *pair, rng.choice(["confirmed"] * 7 + ["waitlisted", "cancelled"]), now))
    db.session.execute(insert(Booking), bookings)

    past = [event_id for event_id, row in zip(events, event_rows, strict=True) if row["starts_at"] < now] or [big_event]
    notes = _insert(
        Note,
        [
            {
                "event_id": rng.choice(past),
                "title": f"Scaled write-up {n:05}",
                "summary": "What was discussed, in two sentences.",
                "body": "## The discussion\n\nParticipants weighed the evidence and the options.\n",
                "state": "published",
                "published_at": now - timedelta(days=rng.randint(1, 2400)),
                "audience": "public" if n % 3 == 0 else "fellows",
            }
            for n in range(_count(factor, "notes"))
        ],
    )
    db.session.commit()
    return Scaled(
        factor=factor,
        fellows=len(fellows),
        events=len(events) + 1,
        bookings=len(bookings),
        notes=len(notes),
        big_event_id=big_event,
        public_note_id=notes[0],
    )


def _booking(rng: random.Random, event_id: int, user_id: int, state: str, now: datetime) -> dict:
    requested = now - timedelta(days=rng.randint(1, 60), minutes=rng.randint(0, 1440))
    return {
        "event_id": event_id,
        "user_id": user_id,
        "state": state,
        "requested_at": requested,
        "confirmed_at": requested if state == "confirmed" else None,
        "cancelled_at": requested + timedelta(days=1) if state == "cancelled" else None,
        "dietary_requirements": rng.choice([None, None, None, "Vegetarian", "Vegan", "Gluten-free"]),
        "access_needs": rng.choice([None] * 9 + ["Step-free access"]),
    }
