"""The events sections of the home page (registered with core.registry by events/blueprint.py).

Each section costs a fixed number of queries however many events, bookings or topics there are: counts
come from grouped queries and related rows are loaded for the whole list at once.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased, contains_eager, selectinload

from core.models import utcnow
from core.permissions import is_fellow, is_organiser
from core.timeutil import to_local
from events.access import (
    invited_clause,
    visible_events_clause,
)
from events.models import Booking, Event, event_topics
from events.presenters import booking_stats
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


def waitlist_positions(bookings: list[Booking]) -> dict[int, int]:
    """{booking id: place in its event's queue} for the waitlisted ``bookings``, in ONE grouped query
    (``Booking.waitlist_position`` asks once per booking). The order is the model's: requested_at, then id."""
    waiting = [booking.id for booking in bookings if booking.state == "waitlisted"]
    if not waiting:
        return {}
    mine, ahead = aliased(Booking), aliased(Booking)
    rows = db.session.execute(
        select(mine.id, func.count(ahead.id))
        .join(
            ahead,
            and_(
                ahead.event_id == mine.event_id,
                ahead.state == "waitlisted",
                or_(
                    ahead.requested_at < mine.requested_at,
                    and_(ahead.requested_at == mine.requested_at, ahead.id <= mine.id),
                ),
            ),
        )
        .where(mine.id.in_(waiting))
        .group_by(mine.id)
    )
    return dict(rows.all())


def mine_section(user) -> dict | None:
    """A signed-in fellow's invitations not yet booked, and their next bookings with their places on
    waitlists (organisers get ``organiser_section`` instead)."""
    if not user.is_authenticated or is_organiser(user):
        return None
    now = utcnow()
    mine = and_(Booking.user_id == user.id, Booking.state != "cancelled", Event.ends_at > now)
    bookings = db.session.scalars(
        select(Booking)
        .join(Booking.event)
        .where(mine)
        .options(contains_eager(Booking.event))  # the join is there already: no second query for the events
        .order_by(Event.starts_at)
        .limit(5)
    ).all()
    context = {
        "bookings": bookings,
        "booking_count": db.session.scalar(select(func.count(Booking.id)).join(Booking.event).where(mine)) or 0,
        "positions": waitlist_positions(bookings),
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
    upcoming = db.session.scalars(
        select(Event)
        .where(visible_events_clause(user), Event.state == "published", Event.ends_at > utcnow())
        .order_by(Event.starts_at, Event.id)
        .limit(5)
    ).all()
    return {"upcoming": upcoming, "stats": booking_stats(upcoming)}


def organiser_section(user) -> dict | None:
    """Organisers' home page: the next published events with how full they are, their waitlists and the
    days to go; and the drafts waiting to be published."""
    if not is_organiser(user):
        return None
    now = utcnow()
    upcoming_clause = and_(Event.state == "published", Event.ends_at > now)
    upcoming = db.session.scalars(
        select(Event).where(upcoming_clause).order_by(Event.starts_at, Event.id).limit(ORGANISER_UPCOMING)
    ).all()
    drafts = db.session.scalars(
        select(Event).where(Event.state == "draft").order_by(Event.starts_at, Event.id).limit(ORGANISER_DRAFTS)
    ).all()
    # Both totals in one query.
    upcoming_count, draft_count = db.session.execute(
        select(
            func.count(case((upcoming_clause, Event.id))),
            func.count(case((Event.state == "draft", Event.id))),
        ).where(or_(upcoming_clause, Event.state == "draft"))  # read those rows by index, not every event
    ).one()
    today = to_local(now).date()
    return {
        "upcoming": upcoming,
        "upcoming_count": upcoming_count,
        "stats": booking_stats(upcoming),
        "days": {event.id: days_to_go(event, today) for event in upcoming},
        "drafts": drafts,
        "draft_count": draft_count,
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
        .options(selectinload(Event.topics))
        .order_by(shared.c.shared.desc(), Event.starts_at, Event.id)
        .limit(limit)
    ).all()
    return [(event, number) for event, number in rows]


def recommended_section(user) -> dict | None:
    """A fellow's home page: events recommended for them, each with the interests it shares."""
    if not is_fellow(user):
        return None
    interest_ids = set(db.session.scalars(select(user_interests.c.tag_id).where(user_interests.c.user_id == user.id)))
    if not interest_ids:
        return {"events": [], "has_interests": False}
    events = [
        (event, [tag.name for tag in event.topics if tag.id in interest_ids]) for event, _ in recommended_events(user)
    ]
    return {"events": events, "has_interests": True}
