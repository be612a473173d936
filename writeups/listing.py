"""Choosing write-ups for readers: the /notes list with its filters and search, an event's notes,
the home page and the feed — all through the one visibility rule in ``access``."""

from __future__ import annotations

from datetime import datetime

from flask_login import current_user
from sqlalchemy import Select, and_, extract, func, literal_column, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from core.models import Tag
from core.request_args import whole_number
from core.search import MAX_WORDS, every_word_in
from core.timeutil import local_to_utc
from events.models import EVENT_KINDS, Event
from extensions import db
from writeups.access import public_feed_clause, published_notes_clause
from writeups.models import Note


def search_clause(q: str):
    """Every word must appear in the title, summary or body (any case). On PostgreSQL, English full
    text search is tried as well, so "transforming" also finds "transformation"."""
    words = q.split()[:MAX_WORDS]
    like = every_word_in(q, Note.title, Note.summary, Note.body)
    if db.engine.dialect.name != "postgresql":
        return like
    english = literal_column("'english'::regconfig")
    document = func.to_tsvector(english, func.concat_ws(" ", Note.title, Note.summary, Note.body))
    return or_(document.op("@@")(func.websearch_to_tsquery(english, " ".join(words))), like)


def _base(where) -> Select:
    return (
        select(Note)
        .outerjoin(Note.event)
        .where(where)
        .options(contains_eager(Note.event), selectinload(Note.topics))
        .order_by(Note.published_at.desc(), Note.id.desc())
    )


def reader_query(user, *, topic: str = "", kind: str = "", year: str = "", q: str = "") -> Select:
    """Published notes ``user`` may read, newest first, filtered by topic slug, event kind, the
    event's year (in the configured zone) and search words."""
    query = _base(published_notes_clause(user))
    if topic:
        query = query.where(Note.topics.any(Tag.slug == topic))
    if kind in EVENT_KINDS:
        query = query.where(Event.kind == kind)
    number = whole_number(year)
    if number is not None and 1900 < number < 3000:
        start = local_to_utc(datetime(number, 1, 1))
        end = local_to_utc(datetime(number + 1, 1, 1))
        query = query.where(Event.starts_at >= start, Event.starts_at < end)
    if q.strip():
        query = query.where(search_clause(q.strip()))
    return query


def note_years(user) -> list[int]:
    """Years (of the events) that have write-ups this reader may see, newest first."""
    year = extract("year", Event.starts_at)
    rows = db.session.execute(
        select(year)
        .select_from(Note)
        .outerjoin(Note.event)
        .where(published_notes_clause(user))
        .distinct()
        .order_by(year.desc())
    )
    return [int(value) for (value,) in rows if value is not None]


def visible_event_notes(event) -> list[Note]:
    """The event's published notes the current viewer may read (for the event page)."""
    event_id = event if isinstance(event, int) else event.id
    return list(db.session.scalars(_base(and_(published_notes_clause(current_user), Note.event_id == event_id))))


def latest_notes(user, limit: int = 3) -> list[Note]:
    return list(db.session.scalars(_base(published_notes_clause(user)).limit(limit)))


def feed_notes(limit: int = 50) -> list[Note]:
    """The newest public, published notes: exactly what an anonymous reader may see.

    Each entry's content lists the note's further reading, so the links come in one more query
    for all the notes (not one per note): the feed costs the same few queries however long it is."""
    query = _base(public_feed_clause()).options(selectinload(Note.links)).limit(limit)
    return list(db.session.scalars(query))
