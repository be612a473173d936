"""Helpers shared by the tests/events/test_events_*.py modules."""

from __future__ import annotations

from sqlalchemy import select

from extensions import db


def event_form(**overrides) -> dict:
    """POST data for the organiser's event form (times typed in London time, datetime-local style)."""
    data = {
        "title": "Policy lunch: AI in the civil service",
        "kind": "lunch",
        "summary": "A lunch discussion.",
        "description": "We will talk about **AI**.",
        "starts_at": "2030-10-15T12:30",
        "ends_at": "2030-10-15T14:00",
        "venue_name": "70 Whitehall",
        "venue_address": "London SW1A 2AS",
        "online_url": "",
        "host_id": "",
        "capacity": "3",
        "registration_opens_at": "",
        "registration_closes_at": "",
        "audience": "fellows",
    }
    for i in range(3):
        data.setdefault(f"speakers-{i}-honorific", "")
        data.setdefault(f"speakers-{i}-name", "")
        data.setdefault(f"speakers-{i}-role", "")
        data.setdefault(f"speakers-{i}-organisation", "")
        data.setdefault(f"speakers-{i}-fellow_id", "")
    data.update(overrides)
    return data


def bookings(app, event_id: int) -> dict[int | None, str]:
    """{user_id: state} for every booking of the event."""
    from events.models import Booking

    with app.app_context():
        return {b.user_id: b.state for b in db.session.scalars(select(Booking).where(Booking.event_id == event_id))}


def booking_of(app, event_id: int, user_id: int):
    """The booking row of one fellow (detached), or None."""
    from events.models import Booking

    with app.app_context():
        booking = db.session.scalar(select(Booking).where(Booking.event_id == event_id, Booking.user_id == user_id))
        if booking is not None:
            position = booking.waitlist_position
            db.session.expunge(booking)
            booking.position = position
        return booking


def waitlist(app, event_id: int) -> list[tuple[int, int | None]]:
    """[(position, user_id)] in queue order, positions from the model property."""
    from events.models import Booking

    with app.app_context():
        rows = db.session.scalars(
            select(Booking)
            .where(Booking.event_id == event_id, Booking.state == "waitlisted")
            .order_by(Booking.requested_at, Booking.id)
        ).all()
        return [(b.waitlist_position, b.user_id) for b in rows]


def get_event(app, event_id: int):
    from events.models import Event

    with app.app_context():
        event = db.session.get(Event, event_id)
        if event is not None:
            db.session.expunge(event)
        return event


def text_of(response) -> str:
    """The page's visible text with whitespace collapsed (tags removed), for readable assertions."""
    import html
    import re

    body = response.get_data(as_text=True)
    body = re.sub(r"(?s)<(script|style|head)\b.*?</\1>", " ", body)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", html.unescape(body))
