"""Data at the size of a large programme, for ``make bench`` and the gunicorn soak tests.

``scale_up(factor)`` adds, to a database that has the demo data, ``factor`` × the size of a large
programme (``TARGET``): 5,000 fellows (profiles, interests, appointments), 5,000 experts, 2,000 events
over ten years (speakers, topics; public, fellows-only and invitation-only; a few drafts and
cancellations), 100,000 bookings (confirmed up to each event's places, then waitlisted; some
cancelled; attendance marked on past events), 2,000 write-ups with their revisions, and 300 visit
programmes (policy questions, long lists of invited experts, meetings). It uses the app's own models in
bulk inserts, seeded, so a factor always gives the same rows. Two rows are worst cases on purpose:

- the *big event*, an upcoming public conference with 400 places and min(500, 80 % of the fellows)
  bookings (so a waitlist and some cancellations): the attendee and check-in pages;
- the *heavy fellow*, the demo fellow (``FELLOW_EMAIL``), booked on a fifth of the events: My bookings
  and the personal feed.

Below about 1/64 there are too few fellows for the bookings wanted (each fellow books an event once):
``Scaled.bookings`` says how many were made. Run it inside an application context; it commits.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text, update
from werkzeug.security import generate_password_hash

from bench import scale_programmes
from bench.bulk import insert_links, insert_rows
from bench.words import FIRST, LAST, TOPICS, paragraph, sentence
from core.lib.tokens import hash_token
from core.models import Tag, slugify
from events.models import Booking, Event, EventInvitation, Speaker, event_topics
from extensions import db
from fellows.demo import DEMO_PASSWORD, FELLOW_EMAIL, ORGANISER_EMAIL
from fellows.models import SECTORS, Organisation, User, user_interests
from writeups.models import Note, NoteLink, NoteRevision, note_topics

TARGET = {
    "fellows": 5000,
    "experts": 5000,
    "events": 2000,
    "bookings": 100_000,
    "notes": 2000,
    "visits": 300,
    "organisations": 400,
}
BIG_EVENT_TITLE = "Scaled: the big policy conference"
BIG_EVENT_CAPACITY = 400
#: The feed tokens the benchmark uses for the organiser's all-events feed and the heavy fellow's feed.
ORGANISER_FEED_TOKEN = "bench-organiser-feed-token-000000000000000"  # noqa: S105 - not a secret
FELLOW_FEED_TOKEN = "bench-fellow-feed-token-0000000000000000000"  # noqa: S105 - not a secret
KINDS = ["lunch", "workshop", "seminar", "roundtable", "lecture", "conference", "other"]
#: The share of events the heavy fellow books.
HEAVY_SHARE = 0.2
YEARS = 10


@dataclass
class Scaled:
    """What was added, and the ids the measurements need."""

    factor: float
    fellows: int
    events: int
    bookings: int
    notes: int
    big_event_id: int
    public_note_id: int
    experts: int = 0
    visits: int = 0
    big_event_bookings: int = 0
    heavy_fellow_bookings: int = 0
    waitlisted: int = 0
    revisions: int = 0
    public_profile_id: int = 0
    #: The upcoming visit with the longest long list (its page suggests experts for each question).
    visit_id: int = 0
    #: The visit with the most meetings (its itinerary is the longest).
    itinerary_visit_id: int = 0
    #: A policy question of ``visit_id`` (matching ranks every expert for it).
    question_id: int = 0
    organiser_email: str = ORGANISER_EMAIL
    fellow_email: str = FELLOW_EMAIL
    password: str = DEMO_PASSWORD
    organiser_feed_token: str = ORGANISER_FEED_TOKEN
    fellow_feed_token: str = FELLOW_FEED_TOKEN
    wanted: dict[str, int] = field(default_factory=dict)


def wanted(factor: float) -> dict[str, int]:
    """How many of each thing ``scale_up(factor)`` adds."""
    return {name: max(1, round(count * factor)) for name, count in TARGET.items()}


def scale_up(factor: float, seed: int = 2016) -> Scaled:
    """Add ``factor`` of the target size to the demo data and commit; returns what the measurements need."""
    rng = random.Random(seed)
    want = wanted(factor)
    now = datetime.now(UTC).replace(microsecond=0, second=0)
    organiser = db.session.scalar(select(User).where(User.email == ORGANISER_EMAIL))
    heavy = db.session.scalar(select(User).where(User.email == FELLOW_EMAIL))
    if organiser is None or heavy is None:
        raise RuntimeError("scale_up adds to the demo data: load it first (flask demo)")
    # A second call on the same database (a test growing the data) gets names of its own.
    batch = db.session.scalar(select(func.count(Event.id)).where(Event.title.like(f"{BIG_EVENT_TITLE}%")))
    tag = f"{batch}." if batch else ""

    tag_ids = _topics()
    organisations = insert_rows(
        Organisation,
        [
            {
                "name": f"{rng.choice(LAST)} {rng.choice(['Institute', 'Trust', 'Department', 'Labs'])} {tag}{n:04}",
                "kind": rng.choice(["government", "university", "company", "charity", "other"]),
                "website": f"https://org{n}.example.org" if rng.random() < 0.6 else None,
            }
            for n in range(want["organisations"])
        ],
        ids=True,
    )
    fellows, joined = _fellows(rng, want["fellows"], organisations, tag_ids, tag, now)
    experts = scale_programmes.experts(rng, want["experts"], organisations, tag_ids, tag)
    events, rows = _events(rng, want["events"] - 1, organisations, fellows, tag_ids, organiser.id, now)
    (big_event,) = insert_rows(Event, [_big_event(organiser.id, now)], ids=True)
    insert_links(event_topics, [{"event_id": big_event, "tag_id": tag_id} for tag_id in tag_ids[:2]])
    insert_rows(Speaker, [{"event_id": big_event, "position": 0, "name": "Dame Ada Lovelace", "role": "Keynote"}])

    bookings, counts = _bookings(rng, want["bookings"], events, rows, big_event, joined, heavy.id, organiser.id, now)
    notes, revisions, public_note = _notes(rng, want["notes"], events, rows, tag_ids, organiser.id, now)
    programmes = scale_programmes.visits(rng, want["visits"], fellows, experts, tag_ids, organiser.id, now)
    for user_id, token in ((organiser.id, ORGANISER_FEED_TOKEN), (heavy.id, FELLOW_FEED_TOKEN)):
        db.session.execute(update(User).where(User.id == user_id).values(calendar_token_hash=hash_token(token)))
    db.session.commit()
    # Fresh statistics, as autovacuum would give a real database: the planner then sees the real sizes.
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    public_profile = db.session.scalar(
        select(User.id).where(User.id.in_(fellows), User.visibility == "public").order_by(User.id).limit(1)
    )
    return Scaled(
        factor=factor,
        fellows=len(fellows),
        events=len(events) + 1,
        bookings=bookings,
        notes=notes,
        big_event_id=big_event,
        public_note_id=public_note,
        experts=len(experts),
        visits=programmes.visits,
        big_event_bookings=counts["big"],
        heavy_fellow_bookings=counts["heavy"],
        waitlisted=counts["waitlisted"],
        revisions=revisions,
        public_profile_id=public_profile or 0,
        visit_id=programmes.visit_id,
        itinerary_visit_id=programmes.itinerary_visit_id,
        question_id=programmes.question_id,
        wanted=want,
    )


def _topics() -> list[int]:
    """The topic vocabulary: the demo's and a few dozen more (a vocabulary does not grow with the data)."""
    have = set(db.session.scalars(select(Tag.name)))
    slugs = set(db.session.scalars(select(Tag.slug)))
    rows = [{"name": name, "slug": slugify(name)} for name in TOPICS if name not in have]
    insert_rows(Tag, [row for row in rows if row["slug"] not in slugs])
    return list(db.session.scalars(select(Tag.id).order_by(Tag.id)))


def _fellows(rng, count, organisations, tag_ids, tag, now) -> tuple[list[int], list[int]]:
    """``count`` fellows (97 % have joined, i.e. set a password); returns (all ids, ids of those who joined)."""
    password_hash = generate_password_hash(DEMO_PASSWORD)  # one hash for all: scrypt 5,000 times takes minutes
    rows = []
    for n in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        cohort = rng.randint(now.year - YEARS, now.year)
        rows.append(
            {
                "email": f"scaled.fellow.{tag}{n:05}@example.org",
                "password_hash": password_hash if rng.random() < 0.97 else None,
                "role": "fellow",
                "active": rng.random() < 0.98,
                "created_at": now - timedelta(days=rng.randint(30, 365 * YEARS)),
                "honorific": rng.choice([None, None, None, "Dr", "Prof", "Ms", "Mr"]),
                "name": f"{first} {last}",
                "job_title": rng.choice(["Policy Adviser", "Deputy Director", "Head of Strategy", "Analyst"]),
                "organisation_id": rng.choice(organisations),
                "sector": rng.choice(list(SECTORS)),
                "cohort": cohort,
                "fellow_status": "current" if cohort >= now.year - 2 else "alumni",
                "biography": paragraph(rng, 3) + "\n\n" + paragraph(rng, 2),
                "links": [{"label": "Website", "url": f"https://example.org/{n}"}] if rng.random() < 0.3 else [],
                "visibility": rng.choices(["public", "fellows", "organisers"], [30, 60, 10])[0],
            }
        )
    ids = insert_rows(User, rows, ids=True)
    insert_links(
        user_interests,
        [
            {"user_id": user_id, "tag_id": tag_id}
            for user_id in ids
            for tag_id in rng.sample(tag_ids, min(len(tag_ids), rng.randint(1, 4)))
        ],
    )
    scale_programmes.appointments(rng, ids, [row["cohort"] for row in rows])
    joined = [i for i, row in zip(ids, rows, strict=True) if row["password_hash"] and row["active"]]
    return ids, joined


def _events(rng, count, organisations, fellows, tag_ids, organiser_id, now) -> tuple[list[int], list[dict]]:
    """``count`` events spread over ten years up to six months ahead; returns their ids and rows."""
    first = now - timedelta(days=round(365 * (YEARS - 0.5)))
    span = int((now + timedelta(days=182) - first).total_seconds() // 60)
    rows = []
    for n in range(count):
        starts = (first + timedelta(minutes=rng.randrange(span))).replace(minute=rng.choice([0, 30]))
        state = rng.choices(["published", "cancelled", "draft"], [93, 4, 3])[0]
        kind = rng.choice(KINDS)
        rows.append(
            {
                "uid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "title": f"{kind.capitalize()} {n}: {sentence(rng, 5)[:-1]}",
                "kind": kind,
                "summary": sentence(rng, 18),
                "description": paragraph(rng, 4) + "\n\n**" + sentence(rng, 6) + "**\n\n" + paragraph(rng, 3),
                "starts_at": starts,
                "ends_at": starts + timedelta(minutes=rng.choice([90, 120, 180, 480])),
                "venue_name": f"Room {rng.randint(1, 40)}",
                "venue_address": "70 Whitehall, London SW1A 2AS",
                "online_url": "https://meet.example.org/x" if rng.random() < 0.3 else None,
                "host_id": rng.choice(organisations),
                "capacity": rng.choice([None, 25, 30, 40, 60, 80, 120]),
                "audience": rng.choices(["public", "fellows", "invitation"], [45, 45, 10])[0],
                "state": state,
                "cancellation_reason": "The speaker is unwell." if state == "cancelled" else None,
                "sequence": 1 if state == "cancelled" else 0,
                "created_by_id": organiser_id,
                "created_at": starts - timedelta(days=45),
                "updated_at": min(now, starts - timedelta(days=rng.randint(1, 40))),
                "published_at": None if state == "draft" else starts - timedelta(days=30),
            }
        )
    ids = insert_rows(Event, rows, ids=True)
    speakers, topics = [], []
    for event_id in ids:
        for position in range(rng.randint(1, 3)):
            speakers.append(
                {
                    "event_id": event_id,
                    "position": position,
                    "honorific": rng.choice(["Dr", "Prof", None, None]),
                    "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    "role": rng.choice(["Director", "Professor of Public Policy", "Chief Scientific Adviser", None]),
                    "organisation_id": rng.choice(organisations) if rng.random() < 0.8 else None,
                    "fellow_id": rng.choice(fellows) if rng.random() < 0.2 else None,
                }
            )
        chosen = rng.sample(tag_ids, min(len(tag_ids), rng.randint(1, 3)))
        topics += [{"event_id": event_id, "tag_id": tag_id} for tag_id in chosen]
    insert_rows(Speaker, speakers)
    insert_links(event_topics, topics)
    return ids, rows


def _big_event(organiser_id: int, now: datetime) -> dict:
    starts = now + timedelta(days=21)
    return {
        "title": BIG_EVENT_TITLE,
        "kind": "conference",
        "summary": "The year's conference: two keynotes, six panels and a reception.",
        "description": "A day of talks and panels on evidence in policy making.",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=8),
        "venue_name": "Great Hall",
        "venue_address": "70 Whitehall, London SW1A 2AS",
        "capacity": BIG_EVENT_CAPACITY,
        "audience": "public",
        "state": "published",
        "created_by_id": organiser_id,
        "published_at": now - timedelta(days=30),
    }


def _bookings(rng, total, events, rows, big_event, joined, heavy_id, organiser_id, now) -> tuple[int, dict]:
    """``total`` bookings (fewer if there are too few fellows): the big event's, the heavy fellow's, and the
    rest spread over the other events in proportion to their places."""
    bookable = [(event_id, row) for event_id, row in zip(events, rows, strict=True) if row["state"] != "draft"]
    per_event = {event_id: [] for event_id, _ in bookable}
    heavy_events = rng.sample([e for e, _ in bookable], round(HEAVY_SHARE * len(bookable))) if bookable else []
    for event_id in heavy_events:
        per_event[event_id].append(heavy_id)
    big_people = rng.sample(joined, min(500, int(0.8 * len(joined))))
    left = max(0, total - len(big_people) - len(heavy_events))
    # Demand follows each event's places (60 for an unlimited one): most fill to 50–150 % of them, so
    # about a third of the events have a waitlist.
    weights = {event_id: (row["capacity"] or 60) * rng.uniform(0.5, 1.5) for event_id, row in bookable}
    limit = max(1, int(0.9 * len(joined)))
    scale = left / sum(weights.values()) if weights else 0
    sizes = {event_id: min(limit, round(weight * scale)) for event_id, weight in weights.items()}
    drift = left - sum(sizes.values())
    order = sorted(sizes, key=sizes.get)
    step = 0
    while drift and order and step < 50 * len(order):  # spread rounding and caps over the smaller events
        event_id = order[step % len(order)]
        step += 1
        if drift > 0 and sizes[event_id] < limit:
            sizes[event_id], drift = sizes[event_id] + 1, drift - 1
        elif drift < 0 and sizes[event_id] > 0:
            sizes[event_id], drift = sizes[event_id] - 1, drift + 1
    others = [user for user in joined if user != heavy_id]
    for event_id, size in sizes.items():
        per_event[event_id] += rng.sample(others, min(size, len(others)))
    meta = dict(bookable)
    meta[big_event] = {"capacity": BIG_EVENT_CAPACITY, "starts_at": now + timedelta(days=21), "audience": "public"}
    per_event[big_event] = big_people
    booking_rows, invitations = [], []
    counts = {"big": len(big_people), "heavy": len(heavy_events), "waitlisted": 0}
    for event_id, people in per_event.items():
        row = meta[event_id]
        booking_rows += _event_bookings(rng, event_id, row, people, organiser_id, now, counts)
        if row["audience"] == "invitation":
            invited = set(people) | set(rng.sample(joined, min(10, len(joined))))
            opened = row["starts_at"] - timedelta(days=30)
            invitations += [
                {"event_id": event_id, "user_id": user, "invited_by_id": organiser_id, "created_at": opened}
                for user in sorted(invited)
            ]
    insert_rows(Booking, booking_rows)
    insert_rows(EventInvitation, invitations)
    return len(booking_rows), counts


def _event_bookings(rng, event_id, row, people, organiser_id, now, counts) -> list[dict]:
    """One event's bookings in the order they were made: confirmed while places last, then waitlisted."""
    opened = row["starts_at"] - timedelta(days=30)
    times = sorted(opened + timedelta(minutes=rng.randrange(29 * 24 * 60)) for _ in people)
    rng.shuffle(people)
    past = row["starts_at"] < now
    capacity, confirmed, result = row["capacity"], 0, []
    for user_id, requested in zip(people, times, strict=True):
        if rng.random() < 0.12:
            state = "cancelled"
        elif capacity is None or confirmed < capacity:
            state, confirmed = "confirmed", confirmed + 1
        else:
            state = "waitlisted"
            counts["waitlisted"] += 1
        attendance = None
        if past and state == "confirmed":
            attendance = rng.choices(["attended", "no_show", None], [80, 8, 12])[0]
        result.append(
            {
                "event_id": event_id,
                "user_id": user_id,
                "state": state,
                "requested_at": requested,
                "confirmed_at": requested if state == "confirmed" else None,
                "cancelled_at": requested + timedelta(hours=rng.randint(1, 200)) if state == "cancelled" else None,
                "dietary_requirements": rng.choice(["Vegetarian", "Vegan", "Gluten-free", "Halal"])
                if rng.random() < 0.25
                else None,
                "access_needs": "Step-free access" if rng.random() < 0.05 else None,
                "comment": sentence(rng, 8) if rng.random() < 0.05 else None,
                "attendance": attendance,
                "changed_by_id": organiser_id if rng.random() < 0.02 else None,
            }
        )
    return result


def _notes(rng, count, events, rows, tag_ids, organiser_id, now) -> tuple[int, int, int]:
    """``count`` write-ups of past events (95 % published), each with 1–4 revisions; returns
    (notes, revisions, the id of a public note of a public event)."""
    past = [(e, row) for e, row in zip(events, rows, strict=True) if row["ends_at"] < now - timedelta(days=2)]
    past = [(e, row) for e, row in past if row["state"] != "draft"] or list(zip(events, rows, strict=True))
    note_rows, history = [], []
    for n in range(count):
        event_id, event = rng.choice(past)
        published = min(now - timedelta(hours=1), event["ends_at"] + timedelta(days=rng.randint(2, 20)))
        versions = rng.choices([1, 2, 3, 4], [40, 35, 15, 10])[0]
        state = "published" if rng.random() < 0.95 else "draft"
        audience = "public" if n == 0 else rng.choices(["public", "fellows", "attendees"], [50, 40, 10])[0]
        body = _note_body(rng)
        note_rows.append(
            {
                "uid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "event_id": event_id,
                "title": f"Write-up {n}: {sentence(rng, 6)[:-1]}",
                "summary": sentence(rng, 20),
                "body": body,
                "state": state,
                "published_at": published if state == "published" else None,
                "audience": audience,
                "chatham_house": rng.random() < 0.5,
                "version": versions,
                "created_by_id": organiser_id,
                "updated_by_id": organiser_id,
                "created_at": published - timedelta(days=versions),
                "updated_at": published,
            }
        )
        history.append((versions, body))
    ids = insert_rows(Note, note_rows, ids=True)
    revisions, links, topics = [], [], []
    for note_id, row, (versions, body) in zip(ids, note_rows, history, strict=True):
        topics += [{"note_id": note_id, "tag_id": t} for t in rng.sample(tag_ids, min(len(tag_ids), rng.randint(1, 3)))]
        note_links = [
            {"title": f"Further reading {j}", "url": f"https://example.org/read/{note_id}/{j}"}
            for j in range(rng.randint(0, 3))
        ]
        links += [{"note_id": note_id, "position": j, **link} for j, link in enumerate(note_links)]
        for number in range(1, versions + 1):
            revisions.append(
                {
                    "note_id": note_id,
                    "number": number,
                    "title": row["title"],
                    "summary": row["summary"],
                    "body": body if number == versions else body[: len(body) * number // versions],
                    "audience": row["audience"],
                    "chatham_house": row["chatham_house"],
                    "links": note_links,
                    "topics": [],
                    "reason": "Created" if number == 1 else "Edited",
                    "created_by_id": organiser_id,
                    "created_at": row["created_at"] + timedelta(days=number - 1),
                }
            )
    insert_links(note_topics, topics)
    insert_rows(NoteLink, links)
    insert_rows(NoteRevision, revisions)
    public = ids[0]  # the first is public, of a past event; prefer one whose event is public too
    event_rows = dict(zip(events, rows, strict=True))
    for note_id, row in zip(ids, note_rows, strict=True):
        event = event_rows[row["event_id"]]
        if row["audience"] == "public" and row["state"] == "published" and event["audience"] == "public":
            public = note_id
            break
    return len(ids), len(revisions), public


def _note_body(rng) -> str:
    parts = [paragraph(rng, 5)]
    for section in range(rng.randint(2, 4)):
        parts.append(f"## {sentence(rng, 4)[:-1]}")
        parts.append(paragraph(rng, rng.randint(3, 6)))
        if section % 2 == 0:
            parts.append("\n".join(f"- {sentence(rng, 7)}" for _ in range(rng.randint(2, 5))))
        else:
            parts.append(f"> {sentence(rng, 14)}")
    return "\n\n".join(parts)
