"""What bookings keep for a limited time, and what goes when a person deletes their account.

Dietary and access answers can reveal health or belief (special-category data under UK GDPR): they
are kept only until RETENTION_BOOKING_ANSWERS_DAYS after the event, with the booking comments. The
catering counts, which name nobody, are kept in a CateringRecord. Both functions are registered with
core.registry by events/blueprint.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import exists, select, update

from core.models import utcnow
from events.bookings.lists import catering_summary
from events.bookings.services import fill_places, lock_event
from events.models import Booking, CateringRecord, Event
from extensions import db
from fellows.models import User

_HAS_ANSWERS = (
    Booking.dietary_requirements.is_not(None) | Booking.access_needs.is_not(None) | Booking.comment.is_not(None)
)
_NO_ANSWERS = {"dietary_requirements": None, "access_needs": None, "comment": None}


def purge_booking_answers(now: datetime) -> dict[str, int]:
    """Clear the answers of every booking at events that ended long enough ago; keep the counts."""
    cutoff = now - timedelta(days=current_app.config["RETENTION_BOOKING_ANSWERS_DAYS"])
    events = db.session.scalars(
        select(Event).where(
            Event.ends_at < cutoff, exists(select(Booking.id).where(Booking.event_id == Event.id, _HAS_ANSWERS))
        )
    ).all()
    for event in events:
        summary = catering_summary(event)  # includes the counts of any earlier purge
        record = db.session.get(CateringRecord, event.id) or CateringRecord(event_id=event.id)
        record.dietary = [list(pair) for pair in summary.dietary]
        record.access = [list(pair) for pair in summary.access]
        record.purged_at = now
        db.session.add(record)
    db.session.flush()
    cleared = db.session.execute(
        update(Booking)
        .where(Booking.event_id.in_([event.id for event in events]), _HAS_ANSWERS)
        .values(**_NO_ANSWERS)
        .execution_options(synchronize_session=False)
    )
    return {"bookings' dietary, access and comment answers": cleared.rowcount}


def erase_bookings(user: User) -> None:
    """Before an account is deleted: its answers go, and its places at events to come are given up.

    A freed place goes to the first person on the waitlist, as if the fellow had cancelled; the person
    leaving gets no email. Past bookings stay, with no name, so the events' numbers do not change.
    """
    now = utcnow()
    bookings = db.session.scalars(
        select(Booking).join(Booking.event).where(Booking.user_id == user.id).order_by(Booking.id)
    ).all()
    for booking in bookings:
        booking.dietary_requirements = booking.access_needs = booking.comment = None
        if booking.state in ("confirmed", "waitlisted") and booking.event.starts_at > now:
            event = booking.event
            lock_event(event)
            was_confirmed = booking.state == "confirmed"
            booking.state = "cancelled"
            booking.cancelled_at = now
            db.session.flush()
            if was_confirmed:
                fill_places(event)
    db.session.flush()
