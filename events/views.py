"""Public event pages: the events list, an event's page, booking and cancelling, "My bookings".

Organiser pages (create, edit, attendees, invitations, history) live in ``events/manage.py`` on the
same blueprint.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from core.models import Tag, utcnow
from core.permissions import can_view_profile, is_fellow
from core.request_args import paginate, whole_number
from core.tags import all_tags
from events import bookings
from events.access import (
    booking_refusal,
    can_cancel_booking,
    can_edit_event,
    can_see_attendees,
    can_view_event,
    cancellation_refusal,
    invited_clause,
    is_invited,
    needs_sign_in,
    registration_state,
    visible_events_clause,
)
from events.display import event_when, event_where
from events.forms import BookingForm
from events.models import EVENT_KINDS, Booking, Event, EventInvitation, Speaker
from events.presenters import booking_stats, event_json_ld, organisation_url
from extensions import db
from fellows.models import Organisation

bp = Blueprint("events", __name__)
bp.add_app_template_global(event_when)
bp.add_app_template_global(event_where)
bp.add_app_template_global(organisation_url)


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
        pattern = f"%{q}%"
        query = query.where(
            or_(
                Event.title.ilike(pattern),
                Event.summary.ilike(pattern),
                Event.description.ilike(pattern),
                Event.venue_name.ilike(pattern),
                Event.speakers.any(Speaker.name.ilike(pattern)),
                Event.host.has(Organisation.name.ilike(pattern)),
            )
        )
    return query


@bp.get("/events")
def index():
    """Upcoming events (or past ones with ?when=past), filtered by kind, topic, host and text."""
    # PostgreSQL refuses NUL characters in text, so a crafted query string must not reach it with one.
    args = {
        key: request.args.get(key, "").replace("\x00", "").strip()[:200]
        for key in ("q", "kind", "topic", "when", "host")
    }
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
    host_id = whole_number(args["host"])
    host = db.session.get(Organisation, host_id) if host_id is not None else None
    return render_template(
        "events/index.html",
        page=page,
        args=args,
        stats=booking_stats(page.items),
        mine=mine,
        invited=invited,
        kinds=EVENT_KINDS,
        tags=all_tags(),
        host=host,
        title="Past events" if args["when"] == "past" else "Events",
    )


def _load_event(event_id: int) -> Event:
    event = db.session.scalar(
        select(Event)
        .where(Event.id == event_id)
        .options(selectinload(Event.topics), selectinload(Event.speakers).selectinload(Speaker.fellow))
    )
    if event is None:
        abort(404)
    return event


def _viewable_event(event_id: int) -> Event:
    """The event, or 404 for those who may not know it exists."""
    event = _load_event(event_id)
    if not can_view_event(current_user, event):
        abort(404)
    return event


def _own_booking(event: Event) -> Booking | None:
    if not current_user.is_authenticated:
        return None
    return db.session.scalar(select(Booking).where(Booking.event_id == event.id, Booking.user_id == current_user.id))


def render_detail(event: Event, *, form: BookingForm | None = None, error: str | None = None, status: int = 200):
    """The event page, also re-rendered with an error when a booking form fails."""
    booking = _own_booking(event)
    if form is None:
        form = BookingForm(formdata=None, obj=booking)
    speakers = [
        (
            speaker,
            speaker.fellow is not None
            and speaker.fellow.role == "fellow"
            and can_view_profile(current_user, speaker.fellow),
        )
        for speaker in event.speakers
    ]
    context = {
        "event": event,
        "booking": booking,
        "position": booking.waitlist_position if booking else None,
        "refusal": booking_refusal(current_user, event, booking),
        "cancel_refusal": cancellation_refusal(booking) if booking and booking.state != "cancelled" else None,
        "invited": is_invited(current_user, event) if event.audience == "invitation" else False,
        "confirmed_count": event.confirmed_count,
        "waitlist_length": event.waitlist_length,
        "registration": registration_state(event),
        "speakers": speakers,
        "form": form,
        "error": error,
        "can_edit": can_edit_event(current_user, event),
        "can_see_attendees": can_see_attendees(current_user, event),
        # A joining link is for the people who have a place (as in the calendar files), not for every reader.
        "show_online_link": can_edit_event(current_user, event)
        or (booking is not None and booking.state == "confirmed"),
        "json_ld": event_json_ld(event, url_for("events.detail", event_id=event.id, _external=True)),
        "title": event.title,
    }
    return render_template("events/detail.html", **context), status


@bp.get("/events/<int:event_id>")
def detail(event_id: int):
    """Everything about an event, places left and the viewer's own booking, with Book/Cancel buttons."""
    event = _load_event(event_id)
    if not can_view_event(current_user, event):
        if needs_sign_in(current_user, event):
            # Fellows-only and invitation-only events: anonymous visitors are asked to sign in.
            flash("This event is for Policy Fellows. Sign in to see it.", "info")
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(404)
    return render_detail(event)


@bp.post("/events/<int:event_id>/book")
@login_required
def book(event_id: int):
    """Book a place (or join the waitlist when the event is full)."""
    event = _viewable_event(event_id)
    form = BookingForm()
    if not form.validate_on_submit():
        return render_detail(event, form=form, status=400)
    try:
        booking = bookings.book_place(
            current_user._get_current_object(),
            event,
            dietary_requirements=form.dietary_requirements.data,
            access_needs=form.access_needs.data,
            comment=form.comment.data,
        )
    except bookings.BookingError as refusal:
        db.session.rollback()
        return render_detail(event, form=form, error=str(refusal), status=409)
    position = booking.waitlist_position
    db.session.commit()
    if booking.state == "confirmed":
        flash("Your place is confirmed. We have emailed you the details.", "success")
    else:
        flash(
            f"The event is full, so you are on the waitlist at position {position}. "
            "We will email you if a place comes up.",
            "warning",
        )
    return redirect(url_for("events.detail", event_id=event.id))


@bp.post("/bookings/<int:booking_id>/cancel")
@login_required
def cancel_booking(booking_id: int):
    """A fellow cancels their own booking or leaves the waitlist; the next person waiting is promoted."""
    booking = db.get_or_404(Booking, booking_id)
    if not can_cancel_booking(current_user, booking):
        abort(403)
    event = booking.event
    was_waitlisted = booking.state == "waitlisted"
    try:
        bookings.cancel_booking(current_user._get_current_object(), booking)
    except bookings.BookingError as refusal:
        db.session.rollback()
        return render_detail(event, error=str(refusal), status=409)
    db.session.commit()
    flash("You have left the waitlist." if was_waitlisted else "Your booking is cancelled.", "success")
    return redirect(url_for("events.detail", event_id=event.id))


@bp.get("/my/bookings")
@login_required
def my_bookings():
    """The signed-in person's upcoming and past bookings, with their status and waitlist position."""
    mine = db.session.scalars(
        select(Booking)
        .join(Booking.event)
        .where(Booking.user_id == current_user.id)
        .options(selectinload(Booking.event))
        .order_by(Event.starts_at)
    ).all()
    now = utcnow()
    upcoming = [b for b in mine if b.event.ends_at > now]
    past = sorted((b for b in mine if b.event.ends_at <= now), key=lambda b: b.event.starts_at, reverse=True)
    positions = {b.id: b.waitlist_position for b in upcoming if b.state == "waitlisted"}
    return render_template(
        "events/my_bookings.html", upcoming=upcoming, past=past, positions=positions, title="My bookings"
    )


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


# The organiser pages register themselves on ``bp`` when imported.
from events import attendees, manage  # noqa: E402, F401
