"""When the public event pages change with no write to the database: an event starts or ends (it moves
from upcoming to past, booking closes), or a registration window opens or closes. ``core.caching`` asks
this once per generation of the data, so a kept page or a 304 never outlives such a moment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select, true

from events.models import Event
from extensions import db

_MOMENTS = (Event.starts_at, Event.ends_at, Event.registration_opens_at, Event.registration_closes_at)


def next_change(now: datetime) -> datetime | None:
    """The next start, end, registration opening or closing of a listed event after ``now`` (one query)."""
    return _next(now, Event.state != "draft")


def next_change_of_any_event(now: datetime) -> datetime | None:
    """The same for every event, drafts too (organisers' signed-in pages show them; core.personal_pages)."""
    return _next(now, true())


def _next(now: datetime, which) -> datetime | None:
    soonest = select(*(func.min(case((moment > now, moment))) for moment in _MOMENTS)).where(which)
    row = db.session.execute(soonest).one()
    return min((moment for moment in row if moment is not None), default=None)
