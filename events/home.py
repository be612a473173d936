"""The events sections of the home page (registered with core.registry by events/blueprint.py).

Each section costs a fixed number of queries however many events, bookings or topics there are, and as
few as it can (the whole home page is held to 10): a list comes with its total (a window count), its
events and their booking numbers (correlated subqueries) in one query.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased, contains_eager

from core.models import Tag, utcnow
from core.permissions import is_fellow, is_organiser
from core.timeutil import to_local
from events.access import (
    invited_clause,
    visible_events_clause,
)
from events.models import Booking, Event, event_topics
from events.presenters import booking_count_columns, stats_from_row
from extensions import db
from fellows.models import user_interests

#: Upcoming events on the organisers' home page (the rest are a link away).
ORGANISER_UPCOMING = 10
#: Drafts named on the organisers' home page.
ORGANISER_DRAFTS = 5
#: Events recommended to a fellow.
RECOMMENDED = 5


def days_to_go(event: Event, today: date) -> int:
    """Whole days from today to the event's first day, both in the configured zone (0: today)."""
    return (to_local(event.starts_at).date() - today).days


def _waitlist_position():
    """The place in its event's queue of each waitlisted ``Booking`` row of a query (NULL for the others),
    as a correlated subquery column. The order is the model's (``Booking.waitlist_position``):
    requested_at, then id."""
    ahead = aliased(Booking)
    queue = (
        select(func.count(ahead.id))
        .where(
            ahead.event_id == Booking.event_id,
            ahead.state == "waitlisted",
            or_(
                ahead.requested_at < Booking.requested_at,
                and_(ahead.requested_at == Booking.requested_at, ahead.id <= Booking.id),
            ),
        )
        .correlate(Booking)
        .scalar_subquery()
    )
    return case((Booking.state == "waitlisted", queue))


def mine_section(user) -> dict | None:
    """A signed-in fellow's invitations not yet booked, and their next bookings with their places on
    waitlists (organisers get ``organiser_section`` instead)."""
    if not user.is_authenticated or is_organiser(user):
        return None
    now = utcnow()
    mine = and_(Booking.user_id == user.id, Booking.state != "cancelled", Event.ends_at > now)
    # One query: the next five bookings with their events, the total before the limit (a window count)
    # and each waitlisted booking's place in its queue.
    rows = db.session.execute(
        select(Booking, func.count().over().label("total"), _waitlist_position().label("position"))
        .join(Booking.event)
        .where(mine)
        .options(contains_eager(Booking.event))  # the join is there already: no second query for the events
        .order_by(Event.starts_at)
        .limit(5)
    ).all()
    context = {
        "bookings": [row.Booking for row in rows],
        "booking_count": rows[0].total if rows else 0,
        "positions": {row.Booking.id: row.position for row in rows if row.position is not None},
        "invitations": [],
    }
    if is_fellow(user):
        booked = select(Booking.event_id).where(Booking.user_id == user.id, Booking.state != "cancelled")
        context["invitations"] = db.session.scalars(
            select(Event)
            .where(invited_clause(user), Event.state == "published", Event.starts_at > now, Event.id.not_in(booked))
            .order_by(Event.starts_at)
        ).all()
    return context


def home_section(user) -> dict | None:
    """What is coming up, for visitors (public events only) and fellows; organisers get
    ``organiser_section`` instead."""
    if is_organiser(user):
        return None
    rows = db.session.execute(
        select(Event, *booking_count_columns())  # the places left come with the events
        .where(visible_events_clause(user), Event.state == "published", Event.ends_at > utcnow())
        .order_by(Event.starts_at, Event.id)
        .limit(5)
    ).all()
    return {
        "upcoming": [event for event, _, _ in rows],
        "stats": {event.id: stats_from_row(event, confirmed, waitlisted) for event, confirmed, waitlisted in rows},
    }


def organiser_section(user) -> dict | None:
    """Organisers' home page: the next published events with how full they are, their waitlists and the
    days to go; and the drafts waiting to be published."""
    if not is_organiser(user):
        return None
    now = utcnow()
    # Two queries: each list comes with its total before the limit (a window count), and the upcoming
    # events with their booking numbers.
    upcoming_rows = db.session.execute(
        select(Event, func.count().over().label("total"), *booking_count_columns())
        .where(Event.state == "published", Event.ends_at > now)
        .order_by(Event.starts_at, Event.id)
        .limit(ORGANISER_UPCOMING)
    ).all()
    draft_rows = db.session.execute(
        select(Event, func.count().over().label("total"))
        .where(Event.state == "draft")
        .order_by(Event.starts_at, Event.id)
        .limit(ORGANISER_DRAFTS)
    ).all()
    upcoming = [row.Event for row in upcoming_rows]
    today = to_local(now).date()
    return {
        "upcoming": upcoming,
        "upcoming_count": upcoming_rows[0].total if upcoming_rows else 0,
        "stats": {row.Event.id: stats_from_row(row.Event, row.confirmed, row.waitlisted) for row in upcoming_rows},
        "days": {event.id: days_to_go(event, today) for event in upcoming},
        "drafts": [row.Event for row in draft_rows],
        "draft_count": draft_rows[0].total if draft_rows else 0,
    }


def recommended_events(user, now: datetime | None = None, limit: int = RECOMMENDED) -> list[tuple[Event, int]]:
    """Upcoming events that share topics with the fellow's interests, best first: most shared topics,
    then soonest; with the number of topics shared.

    Only events the fellow may see and book: published, open to fellows or the public, not past their
    registration deadline. Events they have a booking row for are left out whatever its state, so one
    they cancelled (declined) is not offered again; invitation-only events are listed under
    "You are invited" instead."""
    now = now or utcnow()
    interests = select(user_interests.c.tag_id).where(user_interests.c.user_id == user.id)
    shared = (
        select(event_topics.c.event_id, func.count(event_topics.c.tag_id).label("shared"))
        .where(event_topics.c.tag_id.in_(interests))
        .group_by(event_topics.c.event_id)
        .subquery()
    )
    booked = select(Booking.event_id).where(Booking.user_id == user.id)
    rows = db.session.execute(
        select(Event, shared.c.shared)
        .join(shared, shared.c.event_id == Event.id)
        .where(
            Event.state == "published",
            Event.audience.in_(("public", "fellows")),
            Event.starts_at > now,
            or_(Event.registration_closes_at.is_(None), Event.registration_closes_at > now),
            Event.id.not_in(booked),
        )
        .order_by(shared.c.shared.desc(), Event.starts_at, Event.id)
        .limit(limit)
    ).all()
    return [(event, number) for event, number in rows]


def recommended_section(user) -> dict | None:
    """A fellow's home page: events recommended for them, each with the interests it shares."""
    if not is_fellow(user):
        return None
    events = [event for event, _ in recommended_events(user)]
    if not events:
        has_interests = db.session.scalar(select(exists().where(user_interests.c.user_id == user.id)))
        return {"events": [], "has_interests": bool(has_interests)}
    # The interests each event shares, for all of them in one query (not every topic of every event,
    # then the fellow's interests to pick from them).
    shared: dict[int, list[str]] = {event.id: [] for event in events}
    rows = db.session.execute(
        select(event_topics.c.event_id, Tag.name)
        .join(Tag, Tag.id == event_topics.c.tag_id)
        .where(
            event_topics.c.event_id.in_(shared),
            event_topics.c.tag_id.in_(select(user_interests.c.tag_id).where(user_interests.c.user_id == user.id)),
        )
        .order_by(Tag.name)
    )
    for event_id, name in rows:
        shared[event_id].append(name)
    return {"events": [(event, shared[event.id]) for event in events], "has_interests": True}
