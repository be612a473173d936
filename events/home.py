"""The events section of the home page (registered with core.registry by events/blueprint.py)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.models import utcnow
from core.permissions import is_fellow
from events.access import (
    invited_clause,
    visible_events_clause,
)
from events.models import Booking, Event
from events.presenters import booking_stats
from extensions import db


def home_section(user) -> dict | None:
    """The home page's events section: what is coming up, and for a fellow their invitations and bookings."""
    now = utcnow()
    upcoming = db.session.scalars(
        select(Event)
        .where(visible_events_clause(user), Event.state == "published", Event.ends_at > now)
        .order_by(Event.starts_at, Event.id)
        .limit(5)
    ).all()
    context = {"upcoming": upcoming, "stats": booking_stats(upcoming), "invitations": [], "bookings": []}
    if user.is_authenticated:
        context["bookings"] = db.session.scalars(
            select(Booking)
            .join(Booking.event)
            .where(Booking.user_id == user.id, Booking.state != "cancelled", Event.ends_at > now)
            .options(selectinload(Booking.event))
            .order_by(Event.starts_at)
            .limit(5)
        ).all()
    if is_fellow(user):
        booked = select(Booking.event_id).where(Booking.user_id == user.id, Booking.state != "cancelled")
        context["invitations"] = db.session.scalars(
            select(Event)
            .where(invited_clause(user), Event.state == "published", Event.starts_at > now, Event.id.not_in(booked))
            .order_by(Event.starts_at)
        ).all()
    return context
