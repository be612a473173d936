"""A visit's meetings: solving the timetable from the acceptances, moving and pinning by hand
(flush, never commit; the view commits). Every change tells the expert and the fellow
(``notifications.notify``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.errors import ServiceError
from core.models import utcnow
from core.timeutil import local_to_utc, to_local
from extensions import db
from programmes.models import ExpertInvitation, Meeting, TravelTime, VisitProgramme
from programmes.visits.timetable.notifications import notify
from programmes.visits.timetable.queries import meetings_of
from programmes.visits.timetable.solver import Day, Request, Timetable, clock, minutes, solve


@dataclass
class SolveResult:
    timetable: Timetable
    #: {invitation id: expert's name} for the reasons shown beside the unplaced ones.
    names: dict[int, str]
    created: int = 0
    moved: int = 0
    cancelled: int = 0


def travel_table() -> dict[frozenset[str], int]:
    return {frozenset((row.place_a, row.place_b)): row.minutes for row in db.session.scalars(select(TravelTime))}


def save_travel_time(place_a: str, place_b: str, travel_minutes: int) -> TravelTime:
    """Record the minutes between two places (either way round); replaces what was recorded."""
    a, b = sorted(" ".join(place.split()) for place in (place_a, place_b))
    if not a or not b or a == b:
        raise ServiceError("Name two different places.")
    if not 0 <= travel_minutes <= 240:
        raise ServiceError("Travel takes between 0 and 240 minutes.")
    row = db.session.scalar(select(TravelTime).where(TravelTime.place_a == a, TravelTime.place_b == b))
    row = row or TravelTime(place_a=a, place_b=b)
    row.minutes = travel_minutes
    db.session.add(row)
    db.session.flush()
    return row


def meeting_place(invitation: ExpertInvitation) -> str | None:
    """Where the meeting happens: online (None) for experts who meet online, else their building,
    else where the fellow is based."""
    expert, visit = invitation.expert, invitation.programme
    if expert is None or expert.meeting_mode == "online":
        return None
    return expert.location or visit.home_location


def visit_days(visit: VisitProgramme) -> list[Day]:
    return [
        Day(
            day,
            minutes(visit.day_starts),
            minutes(visit.day_ends),
            minutes(visit.lunch_starts),
            minutes(visit.lunch_ends),
        )
        for day in visit.days()
    ]


def _at(day: date, minute: int) -> datetime:
    return local_to_utc(datetime.combine(day, clock(minute)))


def solve_visit(visit: VisitProgramme, *, time_limit: float | None = None) -> SolveResult:
    """(Re)build the timetable from the acceptances: pinned meetings stay, the rest are placed afresh.

    New meetings are confirmed, moved ones re-sent with a higher SEQUENCE, and meetings whose expert
    no longer accepts (or no longer fits) cancelled — each by email to the expert and the fellow."""
    accepted = db.session.scalars(
        select(ExpertInvitation)
        .where(
            ExpertInvitation.programme_id == visit.id,
            ExpertInvitation.status == "accepted",
            ExpertInvitation.expert_id.is_not(None),
        )
        .options(selectinload(ExpertInvitation.expert))
        .order_by(ExpertInvitation.id)
    ).all()
    existing = {meeting.invitation_id: meeting for meeting in meetings_of(visit)}
    requests = []
    for invitation in accepted:
        meeting = existing.get(invitation.id)
        pinned = current = None
        if meeting is not None:
            local = to_local(meeting.starts_at)
            current = (local.date(), local.hour * 60 + local.minute)
            pinned = current if meeting.pinned else None
        requests.append(
            Request(
                invitation.id, invitation.expert.name, meeting_place(invitation), invitation.offered, pinned, current
            )
        )
    options = {"time_limit": time_limit} if time_limit else {}
    timetable = solve(
        visit_days(visit),
        requests,
        length=visit.meeting_minutes,
        max_per_day=visit.max_per_day,
        travel=travel_table(),
        **options,
    )
    result = SolveResult(timetable, {invitation.id: invitation.expert.name for invitation in accepted})
    visit.unplaced = {str(key): reason for key, reason in sorted(timetable.unplaced.items())}
    visit.solved_at = utcnow()
    placed_keys = set()
    for placed in timetable.placed:
        placed_keys.add(placed.key)
        starts, ends = _at(placed.day, placed.start), _at(placed.day, placed.end)
        meeting = existing.get(placed.key)
        if meeting is None:
            meeting = Meeting(
                programme_id=visit.id,
                invitation_id=placed.key,
                starts_at=starts,
                ends_at=ends,
                place=placed.place,
                sequence=0,
            )
            db.session.add(meeting)
            db.session.flush()
            notify(meeting, "REQUEST", change="new")
            result.created += 1
        elif (meeting.starts_at, meeting.ends_at, meeting.place) != (starts, ends, placed.place):
            meeting.starts_at, meeting.ends_at, meeting.place = starts, ends, placed.place
            meeting.sequence += 1
            db.session.flush()
            notify(meeting, "REQUEST", change="moved")
            result.moved += 1
    for invitation_id, meeting in existing.items():
        if invitation_id not in placed_keys:
            cancel_meeting(meeting)
            result.cancelled += 1
    db.session.flush()
    return result


def move_meeting(meeting: Meeting, day: date, start: time) -> None:
    """An organiser places a meeting by hand; it is pinned, so re-solving keeps it there."""
    visit = meeting.programme
    if day not in visit.days():
        raise ServiceError("Choose one of the visit's days.")
    begin = minutes(start)
    end = begin + visit.meeting_minutes
    if begin < minutes(visit.day_starts) or end > minutes(visit.day_ends):
        raise ServiceError("The meeting must fall within the day's hours.")
    if begin < minutes(visit.lunch_ends) and end > minutes(visit.lunch_starts):
        raise ServiceError("The lunch window is kept free: choose another time.")
    starts = _at(day, begin)
    meeting.pinned = True
    if starts != meeting.starts_at:
        meeting.starts_at, meeting.ends_at = starts, starts + timedelta(minutes=visit.meeting_minutes)
        meeting.sequence += 1
        db.session.flush()
        notify(meeting, "REQUEST", change="moved")
    db.session.flush()


def unpin_meeting(meeting: Meeting) -> None:
    meeting.pinned = False
    db.session.flush()


def cancel_meeting(meeting: Meeting) -> None:
    """Take a meeting off the timetable; the expert and the fellow get a CANCEL for it."""
    meeting.sequence += 1
    notify(meeting, "CANCEL", change="cancelled")
    db.session.delete(meeting)
    db.session.flush()


def _after_the_meeting(meeting: Meeting) -> None:
    if meeting.ends_at > utcnow():
        raise ServiceError("You can rate a meeting once it has taken place.")


def record_fellow_feedback(meeting: Meeting, rating: int, follow_up: str | None) -> None:
    """The fellow (or an organiser for them) rates a meeting that has taken place and notes follow-ups."""
    _after_the_meeting(meeting)
    meeting.rating = rating
    meeting.follow_up = (follow_up or "").strip() or None
    db.session.flush()


def record_expert_feedback(meeting: Meeting, rating: int, comment: str | None) -> None:
    """The expert says, from their private link, how useful a meeting that has taken place was."""
    _after_the_meeting(meeting)
    meeting.expert_rating = rating
    meeting.expert_comment = (comment or "").strip() or None
    db.session.flush()
