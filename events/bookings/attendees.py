"""Organiser attendee management: the lists, the catering summary, CSV exports, and booking changes.

Registered on the ``events`` blueprint (imported at the end of ``events/views.py``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload, load_only, selectinload

from core.csvsafe import write_csv
from core.models import slugify, utcnow
from core.permissions import acting_user, organiser_required
from core.request_args import counted_page, whole_number
from core.search import every_word_in
from core.timeutil import format_datetime, to_local
from events.bookings import services as bookings
from events.forms import AddBookingForm, AttendanceForm, CapacityForm
from events.models import Booking, Event
from events.pages import event_or_404
from extensions import db
from fellows.models import Organisation, User

DELETED_ACCOUNT = "Former fellow (account deleted)"
#: Fellows offered at most by the "add a fellow" search (one more is read to tell that there are more).
FIND_LIMIT = 20

#: Answers that mean "no requirement" and are left out of the catering summary.
NO_NEED = {"", "none", "no", "n/a", "na", "nil", "nothing", "no requirements", "not applicable", "-"}

CSV_HEADER = [
    "Status",
    "Waitlist position",
    "Name",
    "Email",
    "Organisation",
    "Booked at",
    "Dietary requirements",
    "Access needs",
    "Comment",
    "Attendance",
    "Changed by an organiser",
]


def normalise_need(answer: str | None) -> str:
    """The comparable form of a free-text answer: "Vegetarian." and " vegetarian" are the same need."""
    text = " ".join((answer or "").split()).strip(" .;,!").casefold()
    return "" if text in NO_NEED else text


def summarise_needs(answers) -> list[tuple[str, int]]:
    """[(need, number of people)], most common first: the caterer needs numbers, not names."""
    counts: Counter[str] = Counter()
    labels: dict[str, str] = {}
    for answer in answers:
        key = normalise_need(answer)
        if not key:
            continue
        counts[key] += 1
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
        confirmed=sorted((b for b in rows if b.state == "confirmed"), key=lambda b: _name(b).casefold()),
        waitlisted=[b for b in rows if b.state == "waitlisted"],
        cancelled=[b for b in rows if b.state == "cancelled"],
    )


def _name(booking: Booking) -> str:
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
    return Catering(
        confirmed=db.session.scalar(select(func.count(Booking.id)).where(confirmed)) or 0,
        dietary=summarise_needs(row.dietary_requirements for row in rows),
        access=summarise_needs(row.access_needs for row in rows),
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


def _fellow_label(user: User) -> str:
    organisation = f" · {user.organisation.name}" if user.organisation else ""
    return f"{user.display_name} ({user.email}){organisation}"


def render_attendees(event: Event, *, add_form=None, capacity_form=None, error=None, status: int = 200):
    find = (request.args.get("find") or "").strip()[:200]
    matches = bookable_fellows(event, find, FIND_LIMIT) if find else []
    add_form = add_form or AddBookingForm(formdata=None)
    if not add_form.fellow_id.choices:
        add_form.fellow_id.choices = [(str(user.id), _fellow_label(user)) for user in matches[:FIND_LIMIT]]
    capacity_form = capacity_form or CapacityForm(formdata=None, data={"capacity": event.capacity})
    may_record = to_local(utcnow()).date() >= to_local(event.starts_at).date()
    return render_template(
        "events/attendees.html",
        event=event,
        lists=attendee_lists(event),
        catering=catering_summary(event),
        find=find,
        more_matches=len(matches) > FIND_LIMIT,
        add_form=add_form,
        capacity_form=capacity_form,
        error=error,
        may_record_attendance=may_record,
        deleted_label=DELETED_ACCOUNT,
        title=f"Attendees: {event.title}",
    ), status


@organiser_required
def attendees(event_id: int):
    """Confirmed, waitlisted and cancelled bookings (paged), the catering summary and the organiser's tools,
    with a search for fellows to add by hand (?find=)."""
    return render_attendees(event_or_404(event_id))


def _csv_response(body: str, filename: str) -> Response:
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@organiser_required
def export_attendees(event_id: int):
    """Every booking as CSV (formula-safe): confirmed, then the waitlist in order, then cancellations."""
    event = event_or_404(event_id)
    people = load_attendees(event)
    rows = []
    for state, group in (
        ("confirmed", people.confirmed),
        ("waitlisted", people.waitlisted),
        ("cancelled", people.cancelled),
    ):
        for position, booking in enumerate(group, start=1):
            user = booking.user
            rows.append(
                [
                    state,
                    position if state == "waitlisted" else "",
                    _name(booking),
                    user.email if user else "",
                    user.organisation.name if user and user.organisation else "",
                    format_datetime(booking.requested_at, "%Y-%m-%d %H:%M"),
                    booking.dietary_requirements or "",
                    booking.access_needs or "",
                    booking.comment or "",
                    {"attended": "attended", "no_show": "no-show"}.get(booking.attendance or "", ""),
                    "yes" if booking.changed_by_id else "",
                ]
            )
    filename = f"attendees-{slugify(event.title)[:60]}-{to_local(event.starts_at):%Y-%m-%d}.csv"
    return _csv_response(write_csv(CSV_HEADER, rows), filename)


@organiser_required
def export_catering(event_id: int):
    """The catering summary as CSV: numbers per dietary requirement and access need, no names."""
    event = event_or_404(event_id)
    catering = catering_summary(event)
    rows = [["Confirmed places", "", catering.confirmed]]
    rows += [["Dietary requirement", need, number] for need, number in catering.dietary]
    rows += [["Access need", need, number] for need, number in catering.access]
    filename = f"catering-{slugify(event.title)[:60]}-{to_local(event.starts_at):%Y-%m-%d}.csv"
    return _csv_response(write_csv(["Kind", "Need", "Number of people"], rows), filename)


def _bookable_fellow(event: Event, fellow_id) -> User | None:
    """The active fellow ``fellow_id`` names, if they have no current booking for ``event``."""
    user = db.session.get(User, whole_number(fellow_id)) if whole_number(fellow_id) is not None else None
    if user is None or user.role != "fellow" or not user.active:
        return None
    current = db.session.scalar(
        select(Booking.id).where(Booking.event_id == event.id, Booking.user_id == user.id, Booking.state != "cancelled")
    )
    return None if current else user


def _after_change(event: Event, message: str, promoted: list[Booking] | None = None):
    db.session.commit()
    if promoted:
        names = ", ".join(_name(b) for b in promoted)
        message += f" Moved off the waitlist: {names}."
    flash(message, "success")
    return redirect(url_for("events.attendees", event_id=event.id))


@organiser_required
def add_booking(event_id: int):
    """Book a fellow in by hand (confirmed while places remain, otherwise waitlisted)."""
    event = event_or_404(event_id)
    form = AddBookingForm()
    fellow = _bookable_fellow(event, form.fellow_id.data)
    form.fellow_id.choices = [(str(fellow.id), _fellow_label(fellow))] if fellow else []
    if not form.validate_on_submit() or fellow is None:
        if fellow is None and form.fellow_id.data:
            form.fellow_id.errors = ["That fellow already has a booking or can no longer be booked: search again"]
        return render_attendees(event, add_form=form, status=400)
    try:
        booking = bookings.add_booking_by_hand(
            acting_user(),
            event,
            fellow,
            dietary_requirements=form.dietary_requirements.data,
            access_needs=form.access_needs.data,
            comment=form.comment.data,
        )
    except bookings.BookingError as error:
        db.session.rollback()
        return render_attendees(event, error=str(error), status=409)
    outcome = "has a confirmed place" if booking.state == "confirmed" else "is on the waitlist (the event is full)"
    return _after_change(event, f"{fellow.display_name} {outcome}.")


@organiser_required
def change_capacity(event_id: int):
    """Change the number of places; raising it moves people off the waitlist in order."""
    event = event_or_404(event_id)
    form = CapacityForm()
    if not form.validate_on_submit():
        return render_attendees(event, capacity_form=form, status=400)
    try:
        promoted = bookings.change_capacity(acting_user(), event, form.capacity.data)
    except bookings.BookingError as error:
        db.session.rollback()
        form.capacity.errors = [str(error)]
        return render_attendees(event, capacity_form=form, status=400)
    places = "unlimited" if form.capacity.data is None else form.capacity.data
    return _after_change(event, f"Capacity set to {places}.", promoted)


def _booking_action(booking_id: int, action, message: str):
    booking = db.get_or_404(Booking, booking_id)
    event = booking.event
    try:
        result = action(booking)
    except bookings.BookingError as error:
        db.session.rollback()
        return render_attendees(event, error=str(error), status=409)
    return _after_change(event, message.format(name=_name(booking)), result if isinstance(result, list) else None)


@organiser_required
def remove_booking(booking_id: int):
    """Cancel someone's booking on their behalf; they are emailed and the waitlist moves up."""
    return _booking_action(
        booking_id, lambda b: bookings.remove_booking(acting_user(), b), "The booking of {name} is cancelled."
    )


@organiser_required
def promote_booking(booking_id: int):
    """Move one person off the waitlist now (adding a place if the event is full)."""

    def move(booking):
        raised = bookings.move_off_waitlist(acting_user(), booking)
        return " The event was full, so one place was added." if raised else ""

    booking = db.get_or_404(Booking, booking_id)
    event = booking.event
    try:
        note = move(booking)
    except bookings.BookingError as error:
        db.session.rollback()
        return render_attendees(event, error=str(error), status=409)
    return _after_change(event, f"{_name(booking)} now has a confirmed place.{note}")


@organiser_required
def record_attendance(booking_id: int):
    """Record on the day whether a confirmed person attended or did not show."""
    booking = db.get_or_404(Booking, booking_id)
    form = AttendanceForm()
    if not form.validate_on_submit():
        return render_attendees(booking.event, error="Choose attended or no-show.", status=400)
    value = form.attendance.data or None
    return _booking_action(
        booking_id, lambda b: bookings.record_attendance(acting_user(), b, value), "Attendance recorded for {name}."
    )
