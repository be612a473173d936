"""Public event pages: the events list with its filters, and an event's page.

Booking pages live in ``events/bookings/views.py``, organiser pages in ``events/manage.py`` and
``events/bookings/attendees.py``; ``events/blueprint.py`` declares the URLs of all of them.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from core.models import Tag, utcnow
from core.request_args import drop_unknown_filters, paginate, whole_number
from core.search import contains_text
from core.tags import all_tags
from events.access import (
    can_view_event,
    needs_sign_in,
    visible_events_clause,
)
from events.models import EVENT_KINDS, Booking, Event, EventInvitation, Speaker
from events.pages import load_event, render_detail
from events.presenters import booking_stats
from extensions import db
from fellows.models import Organisation


def listing_query(viewer, *, q: str = "", kind: str = "", topic: str = "", when: str = "upcoming", host: str = ""):
    """Events ``viewer`` may see on /events, filtered, with topics and speakers loaded in bulk."""
    now = utcnow()
    query = (
        select(Event)
        .where(visible_events_clause(viewer))
        .options(selectinload(Event.topics), selectinload(Event.speakers))
    )
    if when == "past":
        query = query.where(Event.ends_at <= now).order_by(Event.starts_at.desc(), Event.id.desc())
    else:
        query = query.where(Event.ends_at > now).order_by(Event.starts_at, Event.id)
    if kind in EVENT_KINDS:
        query = query.where(Event.kind == kind)
    if topic:
        query = query.where(Event.topics.any(Tag.slug == topic))
    if (host_id := whole_number(host)) is not None:
        query = query.where(Event.host_id == host_id)
    if q:
        query = query.where(
            or_(
                *(contains_text(column, q) for column in (Event.title, Event.summary, Event.description)),
                contains_text(Event.venue_name, q),
                Event.speakers.any(contains_text(Speaker.name, q)),
                Event.host.has(contains_text(Organisation.name, q)),
            )
        )
    return query


def index():
    """Upcoming events (or past ones with ?when=past), filtered by kind, topic, host and text."""
    # PostgreSQL refuses NUL characters in text, so a crafted query string must not reach it with one.
    args = {key: request.args.get(key, "").strip()[:200] for key in ("q", "kind", "topic", "when", "host")}
    tags = all_tags()
    host_id = whole_number(args["host"])
    host = db.session.get(Organisation, host_id) if host_id is not None else None
    notices = drop_unknown_filters(
        args,
        {
            "kind": ("kind of event", EVENT_KINDS),
            "topic": ("topic", [tag.slug for tag in tags]),
            "when": ("time", ("past", "upcoming")),
            "host": ("host", [args["host"]] if host else []),
        },
    )
    args["when"] = "past" if args["when"] == "past" else "upcoming"
    page = paginate(listing_query(current_user, **args), per_page=current_app.config["PAGE_SIZE"])
    ids = [event.id for event in page.items]
    mine: dict[int, Booking] = {}
    invited: set[int] = set()
    if current_user.is_authenticated and ids:
        mine = {
            b.event_id: b
            for b in db.session.scalars(
                select(Booking).where(
                    Booking.user_id == current_user.id, Booking.event_id.in_(ids), Booking.state != "cancelled"
                )
            )
        }
        invited = set(
            db.session.scalars(
                select(EventInvitation.event_id).where(
                    EventInvitation.user_id == current_user.id, EventInvitation.event_id.in_(ids)
                )
            )
        )
    return render_template(
        "events/index.html",
        page=page,
        args=args,
        stats=booking_stats(page.items),
        mine=mine,
        invited=invited,
        kinds=EVENT_KINDS,
        tags=tags,
        host=host,
        filter_notices=notices,
        title="Past events" if args["when"] == "past" else "Events",
    )


def detail(event_id: int):
    """Everything about an event, places left and the viewer's own booking, with Book/Cancel buttons."""
    event = load_event(event_id)
    if not can_view_event(current_user, event):
        if needs_sign_in(current_user, event):
            # Fellows-only and invitation-only events: anonymous visitors are asked to sign in.
            flash("This event is for Policy Fellows. Sign in to see it.", "info")
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(404)
    return render_detail(event)
