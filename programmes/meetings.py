"""A visit's meetings: solving the timetable from the acceptances, moving and pinning by hand, and
telling the expert and the fellow (flush, never commit; the view commits).

Every change of a meeting emails the expert and the fellow through the outbox, with an ``.ics``:
METHOD:REQUEST for a new or moved meeting (its SEQUENCE rises with each move, its UID never changes),
METHOD:CANCEL for one taken off the timetable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.errors import ServiceError
from core.ical import EntryData, build_calendar, vevent_from_data, wall_clock, whole_second
from core.ical_settings import calendar_settings
from core.mail import queue_email
from core.models import utcnow
from core.timeutil import local_to_utc, local_zone, to_local
from core.urls import external_url
from extensions import db
from programmes.models import Expert, ExpertInvitation, Meeting, PolicyQuestion, TravelTime, VisitProgramme
from programmes.timetable import Day, Request, Timetable, clock, minutes, solve


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


def meetings_of(visit: VisitProgramme) -> list[Meeting]:
    return list(
        db.session.scalars(
            select(Meeting)
            .where(Meeting.programme_id == visit.id)
            .options(
                selectinload(Meeting.invitation).selectinload(ExpertInvitation.expert).selectinload(Expert.topics),
                selectinload(Meeting.invitation).selectinload(ExpertInvitation.question),
            )
            .order_by(Meeting.starts_at)
        )
    )


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
        half_days = frozenset(
            (date.fromisoformat(slot.split()[0]), slot.split()[1]) for slot in invitation.available or []
        )
        requests.append(
            Request(invitation.id, invitation.expert.name, meeting_place(invitation), half_days, pinned, current)
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


def meeting_entry(
    meeting: Meeting,
    *,
    url: str,
    attendee: tuple[str, str] | None = None,
    status: str = "CONFIRMED",
    stamp: datetime | None = None,
) -> EntryData:
    """The meeting as calendar entry data (core.ical), in the configured zone, with its fixed UID.

    ``stamp`` (DTSTAMP) is when an emailed invitation is made; a feed leaves it to LAST-MODIFIED so the
    same state always gives the same bytes."""
    settings = calendar_settings()
    zone = local_zone()
    expert = meeting.expert
    fellow = meeting.programme.fellow
    question = meeting.invitation.question
    who = expert.name if expert else "An expert"
    lines = [
        f"{fellow.display_name} meets {who}" + (f" ({expert.affiliation})" if expert and expert.affiliation else "")
    ]
    if question is not None:
        lines.append(f"Question: {question.question}")
    lines.append("Online: the organisers will send the link." if meeting.place is None else f"Where: {meeting.place}")
    lines.append(url)
    modified = whole_second(meeting.updated_at or meeting.created_at or utcnow())
    return EntryData(
        uid=f"{meeting.uid_stem}@{settings.uid_domain}",
        summary=f"Fellowship meeting: {fellow.display_name} and {who}",
        description="\n\n".join(lines),
        location=meeting.place or "Online",
        url=url,
        tzid=settings.tzid,
        start=wall_clock(meeting.starts_at, zone),
        end=wall_clock(meeting.ends_at, zone),
        stamp=whole_second(stamp) if stamp else modified,
        created=whole_second(meeting.created_at) if meeting.created_at else None,
        last_modified=modified,
        sequence=meeting.sequence,
        status=status,
        organizer_email=settings.organizer_email,
        organizer_name=settings.organizer_name,
        attendee=attendee,
    )


def _attachment(meeting: Meeting, method: str, attendee: tuple[str, str]) -> tuple[str, str, bytes]:
    url = external_url("programmes.itinerary", visit_id=meeting.programme_id)
    entry = meeting_entry(
        meeting,
        url=url,
        attendee=attendee,
        status="CANCELLED" if method == "CANCEL" else "CONFIRMED",
        stamp=datetime.now(UTC),
    )
    data = build_calendar([vevent_from_data(entry)], entry.summary, tzid=entry.tzid, method=method).to_ical()
    name = "invite.ics" if method == "REQUEST" else "cancel.ics"
    return name, f"text/calendar; method={method}; charset=utf-8", data


def notify(meeting: Meeting, method: str, *, change: str) -> None:
    """Email the expert and the fellow about a new, moved or cancelled meeting, each with an .ics."""
    expert, fellow = meeting.expert, meeting.programme.fellow
    question = (
        db.session.get(PolicyQuestion, meeting.invitation.question_id) if meeting.invitation.question_id else None
    )
    context = {"meeting": meeting, "fellow": fellow, "expert": expert, "question": question, "change": change}
    subjects = {
        "new": "Your meeting with {other} is confirmed",
        "moved": "Your meeting with {other} has moved",
        "cancelled": "Your meeting with {other} is cancelled",
    }
    if expert is not None and not expert.do_not_contact:
        queue_email(
            expert.email,
            subjects[change].format(other=fellow.display_name),
            "meeting_changed",
            kind=f"meeting_{change}",
            attachment=_attachment(meeting, method, (expert.email, expert.name)),
            recipient=expert.name,
            **context,
        )
    queue_email(
        fellow.email,
        subjects[change].format(other=expert.name if expert else "an expert"),
        "meeting_changed",
        kind=f"meeting_{change}",
        user_id=fellow.id,
        attachment=_attachment(meeting, method, (fellow.email, fellow.display_name)),
        recipient=fellow.display_name,
        itinerary=external_url("programmes.itinerary", visit_id=meeting.programme_id),
        **context,
    )


#: Meetings older than this leave the fellow's calendar feed (as past bookings do).
FEED_PAST = timedelta(days=365)


def _feed_query(user, now: datetime):
    return (
        select(Meeting)
        .join(VisitProgramme, VisitProgramme.id == Meeting.programme_id)
        .where(VisitProgramme.fellow_id == user.id, Meeting.starts_at >= now - FEED_PAST)
    )


def feed_fingerprint(user, now: datetime) -> tuple[list[tuple], datetime | None]:
    """What the fellow's meetings in their feed depend on (for its ETag), and when they last changed."""
    if not (user.is_authenticated and user.role == "fellow"):
        return [], None
    rows = db.session.execute(
        _feed_query(user, now)
        .outerjoin(ExpertInvitation, ExpertInvitation.id == Meeting.invitation_id)
        .outerjoin(Expert, Expert.id == ExpertInvitation.expert_id)
        .with_only_columns(
            Meeting.id,
            Meeting.sequence,
            Meeting.starts_at,
            Meeting.ends_at,
            Meeting.place,
            Meeting.updated_at,
            Expert.id,
            Expert.updated_at,
        )
        .order_by(Meeting.id)
    ).all()
    return [tuple(row) for row in rows], max((row[5] for row in rows), default=None)


def feed_entries(user, now: datetime) -> list[EntryData]:
    """The fellow's meetings as entries of their personal calendar feed."""
    if not (user.is_authenticated and user.role == "fellow"):
        return []
    meetings = db.session.scalars(
        _feed_query(user, now)
        .options(
            selectinload(Meeting.programme),
            selectinload(Meeting.invitation).selectinload(ExpertInvitation.expert),
            selectinload(Meeting.invitation).selectinload(ExpertInvitation.question),
        )
        .order_by(Meeting.starts_at)
    ).all()
    return [
        meeting_entry(meeting, url=external_url("programmes.itinerary", visit_id=meeting.programme_id))
        for meeting in meetings
    ]
