"""Reading bookings for pages. For the organisers: who is booked on an event (the three lists, paged,
only the columns shown), the catering summary (numbers, no names), every booking for the CSV export,
and the search for fellows to add by hand. For a fellow: their own upcoming and (paged) past bookings."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased, contains_eager, joinedload, load_only, selectinload

from core.request_args import CountedPage, counted_page
from core.search import every_word_in
from events.models import Booking, CateringRecord, Event
from extensions import db
from fellows.models import Organisation, User

DELETED_ACCOUNT = "Former fellow (account deleted)"

#: Answers that mean "no requirement" and are left out of the catering summary.
NO_NEED = {"", "none", "no", "n/a", "na", "nil", "nothing", "no requirements", "not applicable", "-"}


def normalise_need(answer: str | None) -> str:
    """The comparable form of a free-text answer: "Vegetarian." and " vegetarian" are the same need."""
    text = " ".join((answer or "").split()).strip(" .;,!").casefold()
    return "" if text in NO_NEED else text


def summarise_needs(answers, kept: list | None = None) -> list[tuple[str, int]]:
    """[(need, number of people)], most common first: the caterer needs numbers, not names.

    ``kept`` adds counts kept from answers already purged (a CateringRecord's [[need, number], …]).
    """
    counts: Counter[str] = Counter()
    labels: dict[str, str] = {}
    for answer, number in [(answer, 1) for answer in answers] + [tuple(pair) for pair in kept or []]:
        key = normalise_need(answer)
        if not key:
            continue
        counts[key] += number
        labels.setdefault(key, key[0].upper() + key[1:])
    return [(labels[key], number) for key, number in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


@dataclass
class Attendees:
    """Every booking of an event, for the CSV export."""

    confirmed: list[Booking]
    waitlisted: list[Booking]
    cancelled: list[Booking]


def load_attendees(event: Event) -> Attendees:
    """Every booking of the event in three lists; the waitlist in queue order (its index is the position)."""
    rows = db.session.scalars(
        select(Booking)
        .where(Booking.event_id == event.id)
        .options(selectinload(Booking.user))
        .order_by(Booking.requested_at, Booking.id)
    ).all()
    return Attendees(
        confirmed=sorted((b for b in rows if b.state == "confirmed"), key=lambda b: attendee_name(b).casefold()),
        waitlisted=[b for b in rows if b.state == "waitlisted"],
        cancelled=[b for b in rows if b.state == "cancelled"],
    )


def attendee_name(booking: Booking) -> str:
    return booking.user.display_name if booking.user else DELETED_ACCOUNT


@dataclass
class Catering:
    """What the caterer needs: numbers of confirmed places and of each need, no names."""

    confirmed: int
    dietary: list[tuple[str, int]]
    access: list[tuple[str, int]]


def catering_summary(event: Event) -> Catering:
    """The needs of confirmed places, read as two columns (never whole bookings)."""
    confirmed = (Booking.event_id == event.id) & (Booking.state == "confirmed")
    rows = db.session.execute(
        select(Booking.dietary_requirements, Booking.access_needs).where(
            confirmed, (Booking.dietary_requirements.is_not(None)) | (Booking.access_needs.is_not(None))
        )
    ).all()
    # Once a past event's answers are purged (flask purge), their counts live on in its record.
    kept = db.session.get(CateringRecord, event.id) if event.is_past else None
    return Catering(
        confirmed=db.session.scalar(select(func.count(Booking.id)).where(confirmed)) or 0,
        dietary=summarise_needs((row.dietary_requirements for row in rows), kept and kept.dietary),
        access=summarise_needs((row.access_needs for row in rows), kept and kept.access),
    )


def _shown_bookings(event: Event, state: str):
    """One state's bookings with only the columns the attendee page shows."""
    return (
        select(Booking)
        .outerjoin(Booking.user)
        .where(Booking.event_id == event.id, Booking.state == state)
        .options(
            load_only(*(getattr(Booking, name) for name in SHOWN_BOOKING_COLUMNS)),
            contains_eager(Booking.user)
            .load_only(User.id, User.name, User.honorific, User.email, User.organisation_id)
            .joinedload(User.organisation)
            .load_only(Organisation.id, Organisation.name),
        )
    )


SHOWN_BOOKING_COLUMNS = (
    "id",
    "event_id",
    "user_id",
    "state",
    "requested_at",
    "cancelled_at",
    "dietary_requirements",
    "access_needs",
    "comment",
    "attendance",
    "changed_by_id",
)


def attendee_lists(event: Event) -> dict:
    """The page's three lists, each paged on its own (?confirmed=, ?waitlist=, ?cancelled=), and their sizes.

    The same handful of queries whatever the number of bookings: one count per state, one page per list.
    """
    sizes = dict(
        db.session.execute(
            select(Booking.state, func.count(Booking.id)).where(Booking.event_id == event.id).group_by(Booking.state)
        ).all()
    )
    per_list = current_app.config["ATTENDEES_PER_PAGE"]
    by_name = (User.id.is_(None), func.lower(User.name), Booking.id)  # deleted accounts last
    return {
        "confirmed": counted_page(
            _shown_bookings(event, "confirmed").order_by(*by_name), sizes.get("confirmed", 0), per_list, "confirmed"
        ),
        "waitlisted": counted_page(
            _shown_bookings(event, "waitlisted").order_by(Booking.requested_at, Booking.id),
            sizes.get("waitlisted", 0),
            per_list,
            "waitlist",
        ),
        "cancelled": counted_page(
            _shown_bookings(event, "cancelled").order_by(Booking.cancelled_at.desc(), Booking.id),
            sizes.get("cancelled", 0),
            per_list,
            "cancelled",
        ),
    }


def check_in_page(event: Event, text: str, only_waiting: bool, per_page: int) -> CountedPage:
    """The requested page (?page=) of confirmed places for the check-in page, by name: those whose name has
    every word of ``text``, and only those not yet checked in when ``only_waiting``.

    Two queries however many bookings: the count of matches and one page of them (the attendee page's columns).
    """
    conditions = [Booking.event_id == event.id, Booking.state == "confirmed"]
    clause = every_word_in(text, User.name)
    if clause is not None:
        conditions.append(clause)
    if only_waiting:
        conditions.append(or_(Booking.attendance.is_(None), Booking.attendance != "attended"))
    total = db.session.scalar(select(func.count(Booking.id)).outerjoin(Booking.user).where(*conditions)) or 0
    query = _shown_bookings(event, "confirmed").where(*conditions[2:])
    return counted_page(query.order_by(User.id.is_(None), func.lower(User.name), Booking.id), total, per_page)


def checked_in_count(event: Event) -> tuple[int, int]:
    """(checked in, confirmed places) of ``event``, in one query: the check-in page's "N of M"."""
    attended = func.count(Booking.id).filter(Booking.attendance == "attended")
    row = db.session.execute(
        select(attended, func.count(Booking.id)).where(Booking.event_id == event.id, Booking.state == "confirmed")
    ).one()
    return row[0] or 0, row[1] or 0


@dataclass
class PrintedAttendee:
    """What a sign-in sheet or a name badge shows of a confirmed person: no email, no needs."""

    name: str
    organisation: str


def surname_key(name: str) -> tuple[str, str]:
    """Sorts "Dr Mark Thompson" under T: the last word of the name, then the whole name."""
    words = name.casefold().split()
    return (words[-1] if words else "", " ".join(words))


def printed_attendees(event: Event) -> list[PrintedAttendee]:
    """Every confirmed person of ``event`` with an account, by surname, read as three columns."""
    rows = db.session.execute(
        select(User.honorific, User.name, Organisation.name)
        .select_from(Booking)
        .join(Booking.user)
        .outerjoin(User.organisation)
        .where(Booking.event_id == event.id, Booking.state == "confirmed")
    ).all()
    return [
        PrintedAttendee(name=f"{honorific} {name}" if honorific else name, organisation=organisation or "")
        for honorific, name, organisation in sorted(rows, key=lambda row: surname_key(row[1]))
    ]


def bookable_fellows(event: Event, text: str, limit: int) -> list[User]:
    """Active fellows without a current booking whose name or email has every word of ``text``, by name.

    At most ``limit`` + 1 are read, so the caller can say that there are more without counting them.
    """
    clause = every_word_in(text, User.name, User.email)
    if clause is None:
        return []
    booked = select(Booking.user_id).where(
        Booking.event_id == event.id, Booking.state != "cancelled", Booking.user_id.is_not(None)
    )
    return list(
        db.session.scalars(
            select(User)
            .options(
                load_only(User.id, User.name, User.honorific, User.email, User.organisation_id),
                joinedload(User.organisation).load_only(Organisation.id, Organisation.name),
            )
            .where(User.role == "fellow", User.active.is_(True), User.id.not_in(booked), clause)
            .order_by(func.lower(User.name), User.id)
            .limit(limit + 1)
        )
    )


def _own_bookings(user: User):
    """``user``'s bookings with their event, in one query: only the event columns "My bookings" shows."""
    return (
        select(Booking)
        .join(Booking.event)
        .where(Booking.user_id == user.id)
        .options(
            contains_eager(Booking.event).load_only(Event.id, Event.title, Event.starts_at, Event.ends_at, Event.state)
        )
    )


def upcoming_bookings(user: User, now: datetime) -> list[Booking]:
    """Every booking of ``user`` for an event not yet over, soonest first (the list is never long)."""
    query = _own_bookings(user).where(Event.ends_at > now).order_by(Event.starts_at, Booking.id)
    return list(db.session.scalars(query))


def past_bookings(user: User, now: datetime, per_page: int) -> CountedPage:
    """The requested page (?page=) of ``user``'s bookings for events that are over, latest first."""
    over = Event.ends_at <= now
    total = db.session.scalar(
        select(func.count(Booking.id)).join(Booking.event).where(Booking.user_id == user.id, over)
    )
    query = _own_bookings(user).where(over).order_by(Event.starts_at.desc(), Booking.id.desc())
    return counted_page(query, total or 0, per_page)


def waitlist_positions(bookings) -> dict[int, int]:
    """{booking id: waitlist position} for the waitlisted ones among ``bookings``, in one query.

    The same queue order as ``Booking.waitlist_position`` (requested_at, then id), which costs a query
    per booking: a list of bookings uses this instead.
    """
    ids = [booking.id for booking in bookings if booking.state == "waitlisted"]
    if not ids:
        return {}
    mine, queued = aliased(Booking), aliased(Booking)
    ahead_or_same = or_(
        queued.requested_at < mine.requested_at,
        and_(queued.requested_at == mine.requested_at, queued.id <= mine.id),
    )
    rows = db.session.execute(
        select(mine.id, func.count(queued.id))
        .join(queued, and_(queued.event_id == mine.event_id, queued.state == "waitlisted", ahead_or_same))
        .where(mine.id.in_(ids))
        .group_by(mine.id)
    )
    return {booking_id: position for booking_id, position in rows}
