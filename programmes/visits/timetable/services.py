"""A visit's meetings: solving the timetable from the acceptances, moving and pinning by hand
(flush, never commit; the view commits). Every change tells the expert and the fellow
(``notifications.notify``)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from core.errors import ServiceError
from core.models import utcnow
from core.timeutil import local_to_utc, to_local
from extensions import db
from fellows.models import User
from programmes.models import (
    ExpertInvitation,
    ItineraryChange,
    ItineraryVersion,
    Meeting,
    TimetableProposal,
    TravelTime,
    VisitProgramme,
    when_text,
)
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


@dataclass
class Change:
    """One meeting a solve or repair would change: new, moved (times before and after) or cancelled (why)."""

    change: str
    invitation_id: int
    meeting_id: int | None
    expert: str
    was: datetime | None = None
    now: datetime | None = None
    ends: datetime | None = None
    place: str | None = None
    reason: str | None = None

    def to_json(self) -> dict:
        stamp = {key: getattr(self, key).isoformat() if getattr(self, key) else None for key in ("was", "now", "ends")}
        return {
            "change": self.change,
            "invitation_id": self.invitation_id,
            "meeting_id": self.meeting_id,
            "expert": self.expert,
            "place": self.place,
            "reason": self.reason,
            **stamp,
        }

    @classmethod
    def from_json(cls, data: dict) -> Change:
        times = {key: datetime.fromisoformat(data[key]) if data.get(key) else None for key in ("was", "now", "ends")}
        return cls(
            data["change"],
            data["invitation_id"],
            data.get("meeting_id"),
            data["expert"],
            place=data.get("place"),
            reason=data.get("reason"),
            **times,
        )

    @property
    def summary(self) -> str:
        """The line as the organiser reads it before applying: "Tuesday 3 March 14:00 → Wednesday 4 March 10:00"."""
        if self.change == "new":
            return f"new: {self.expert} {when_text(self.now)}"
        if self.change == "moved":
            return f"{self.expert}: {when_text(self.was)} → {when_text(self.now)}"
        return f"{self.expert} ({when_text(self.was)}): cancelled" + (f" ({self.reason})" if self.reason else "")


@dataclass
class Plan:
    timetable: Timetable
    names: dict[int, str]
    changes: list[Change]
    #: {invitation id: reason}, as ``VisitProgramme.unplaced``.
    unplaced: dict[str, str]


class ProposalAlreadyApplied(ServiceError):
    """The proposal was applied before (another tab, a double click): nothing is done twice."""


class StaleProposal(ServiceError):
    """The timetable or the acceptances changed after the proposal was worked out."""


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


def _accepted(visit: VisitProgramme) -> list[ExpertInvitation]:
    """The invitations the timetable answers: accepted, the expert still in the network, not cancelled."""
    return list(
        db.session.scalars(
            select(ExpertInvitation)
            .where(
                ExpertInvitation.programme_id == visit.id,
                ExpertInvitation.status == "accepted",
                ExpertInvitation.expert_id.is_not(None),
                ExpertInvitation.meeting_cancelled_at.is_(None),
            )
            .options(selectinload(ExpertInvitation.expert))
            .order_by(ExpertInvitation.id)
        )
    )


def plan_timetable(visit: VisitProgramme, *, time_limit: float | None = None) -> Plan:
    """What solving now would change, without changing anything: each meeting's current place is the
    solver's hint and leaving it there is worth more than any building saved, so only what must move moves."""
    accepted = _accepted(visit)
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
    names = {invitation.id: invitation.expert.name for invitation in accepted}
    changes = []
    for placed in timetable.placed:
        starts, ends = _at(placed.day, placed.start), _at(placed.day, placed.end)
        meeting = existing.get(placed.key)
        if meeting is None:
            changes.append(
                Change("new", placed.key, None, names[placed.key], now=starts, ends=ends, place=placed.place)
            )
        elif (meeting.starts_at, meeting.ends_at, meeting.place) != (starts, ends, placed.place):
            changes.append(
                Change(
                    "moved",
                    placed.key,
                    meeting.id,
                    names[placed.key],
                    was=meeting.starts_at,
                    now=starts,
                    ends=ends,
                    place=placed.place,
                )
            )
    placed_keys = {placed.key for placed in timetable.placed}
    for invitation_id, meeting in existing.items():
        if invitation_id not in placed_keys:
            expert = meeting.expert
            reason = timetable.unplaced.get(invitation_id, "they no longer accept")
            changes.append(
                Change(
                    "cancelled",
                    invitation_id,
                    meeting.id,
                    expert.name if expert else "An expert",
                    was=meeting.starts_at,
                    reason=reason,
                )
            )
    unplaced = {str(key): reason for key, reason in sorted(timetable.unplaced.items())}
    # Read (and applied) in this order: what is cancelled, what moves, what is new.
    changes.sort(key=lambda change: ("cancelled", "moved", "new").index(change.change))
    return Plan(timetable, names, changes, unplaced)


def record_version(
    visit: VisitProgramme, cause: str, lines: list[ItineraryChange], by: User | None
) -> ItineraryVersion:
    """Number the next change set of the visit's itinerary (two at once: the unique (visit, number) refuses
    the second, and the view's ``commit_or_retry`` makes it again with the next number)."""
    number = db.session.scalar(
        select(func.coalesce(func.max(ItineraryVersion.number), 0)).where(ItineraryVersion.programme_id == visit.id)
    )
    version = ItineraryVersion(
        programme_id=visit.id, number=number + 1, cause=cause, created_by_id=by.id if by else None, lines=lines
    )
    db.session.add(version)
    db.session.flush()
    return version


def _line(change: str, expert: str, *, was=None, now=None, reason=None) -> ItineraryChange:
    return ItineraryChange(change=change, expert_name=expert[:200], was_at=was, now_at=now, reason=reason)


def apply_plan(
    visit: VisitProgramme, changes: list[Change], unplaced: dict[str, str], *, cause: str, by: User | None
) -> ItineraryVersion | None:
    """Make the changes, email each expert whose meeting is new, moved or cancelled and the fellow (an
    .ics each: REQUEST with a higher SEQUENCE when moved, CANCEL when cancelled), and record them as the
    itinerary's next version (None when nothing changed)."""
    visit.unplaced = unplaced
    visit.solved_at = utcnow()
    existing = {meeting.id: meeting for meeting in meetings_of(visit)}
    lines = []
    for change in changes:
        if change.change == "new":
            meeting = Meeting(
                programme_id=visit.id,
                invitation_id=change.invitation_id,
                starts_at=change.now,
                ends_at=change.ends,
                place=change.place,
                sequence=0,
            )
            db.session.add(meeting)
            db.session.flush()
            notify(meeting, "REQUEST", change="new")
            lines.append(_line("new", change.expert, now=change.now))
        elif change.change == "moved":
            meeting = existing[change.meeting_id]
            meeting.starts_at, meeting.ends_at, meeting.place = change.now, change.ends, change.place
            meeting.sequence += 1
            db.session.flush()
            notify(meeting, "REQUEST", change="moved")
            lines.append(_line("moved", change.expert, was=change.was, now=change.now))
        else:
            cancel_meeting(existing[change.meeting_id])
            lines.append(_line("cancelled", change.expert, was=change.was, reason=change.reason))
    db.session.flush()
    return record_version(visit, cause, lines, by) if lines else None


def solve_visit(visit: VisitProgramme, *, by: User | None = None, time_limit: float | None = None) -> SolveResult:
    """(Re)build the timetable from the acceptances at once: pinned meetings stay, the others stay where
    they are when they can, new acceptances are placed.

    New meetings are confirmed, moved ones re-sent with a higher SEQUENCE, and meetings whose expert
    no longer accepts (or no longer fits) cancelled — each by email to the expert and the fellow."""
    plan = plan_timetable(visit, time_limit=time_limit)
    apply_plan(visit, plan.changes, plan.unplaced, cause="solve", by=by)
    result = SolveResult(plan.timetable, plan.names)
    for change in plan.changes:
        if change.change == "new":
            result.created += 1
        elif change.change == "moved":
            result.moved += 1
        else:
            result.cancelled += 1
    return result


def timetable_fingerprint(visit: VisitProgramme) -> str:
    """SHA-256 of everything a repair is worked out from: the visit's hours, its meetings, its invitations
    (answers, half-days, places) and the travel times. A proposal made from other values is stale."""
    meetings = [
        [m.id, m.invitation_id, m.starts_at.timestamp(), m.ends_at.timestamp(), m.place, m.pinned, m.sequence]
        for m in meetings_of(visit)
    ]
    invitations = db.session.scalars(
        select(ExpertInvitation)
        .where(ExpertInvitation.programme_id == visit.id)
        .options(selectinload(ExpertInvitation.expert))
        .order_by(ExpertInvitation.id)
    )
    answers = [
        [
            i.id,
            i.status,
            i.expert_id,
            sorted(i.available or []),
            i.meeting_cancelled_at is not None,
            meeting_place(i) if i.expert else None,
        ]
        for i in invitations
    ]
    hours = [
        str(value)
        for value in (
            visit.starts_on,
            visit.ends_on,
            visit.day_starts,
            visit.day_ends,
            visit.lunch_starts,
            visit.lunch_ends,
            visit.meeting_minutes,
            visit.max_per_day,
        )
    ]
    travel = sorted([sorted(pair), minutes] for pair, minutes in travel_table().items())
    payload = json.dumps([hours, meetings, answers, travel], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def propose_repair(visit: VisitProgramme, *, by: User | None, time_limit: float | None = None) -> TimetableProposal:
    """Work out a repair of the timetable (every meeting kept where it is unless it must move) and keep it
    to be shown and applied; nothing changes and nobody is emailed yet."""
    plan = plan_timetable(visit, time_limit=time_limit)
    proposal = TimetableProposal(
        programme_id=visit.id,
        created_by_id=by.id if by else None,
        fingerprint=timetable_fingerprint(visit),
        changes=[change.to_json() for change in plan.changes],
        unplaced=plan.unplaced,
    )
    db.session.add(proposal)
    db.session.flush()
    return proposal


def proposal_changes(proposal: TimetableProposal) -> list[Change]:
    return [Change.from_json(data) for data in proposal.changes or []]


def apply_proposal(proposal: TimetableProposal, *, by: User | None) -> ItineraryVersion | None:
    """Apply a repair the organiser has seen, once: a second apply (another tab, a double click) raises
    ``ProposalAlreadyApplied`` and one worked out from a timetable that has changed since ``StaleProposal``."""
    # Claimed with one conditional UPDATE, so of two applies at once only one goes on (the other waits for
    # the row and then finds it applied).
    claimed = db.session.execute(
        update(TimetableProposal)
        .where(TimetableProposal.id == proposal.id, TimetableProposal.applied_at.is_(None))
        .values(applied_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        raise ProposalAlreadyApplied("This repair has already been applied: nothing was changed again.")
    visit = proposal.programme
    if timetable_fingerprint(visit) != proposal.fingerprint:
        raise StaleProposal(
            "The timetable or the experts' answers have changed since this repair was worked out, so it was "
            "not applied. Work out a new repair."
        )
    version = apply_plan(visit, proposal_changes(proposal), proposal.unplaced or {}, cause="repair", by=by)
    proposal.version_id = version.id if version else None
    db.session.flush()
    return version


def move_meeting(meeting: Meeting, day: date, start: time, *, by: User | None = None) -> None:
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
        was = meeting.starts_at
        meeting.starts_at, meeting.ends_at = starts, starts + timedelta(minutes=visit.meeting_minutes)
        meeting.sequence += 1
        db.session.flush()
        notify(meeting, "REQUEST", change="moved")
        name = meeting.expert.name if meeting.expert else "An expert"
        record_version(visit, "move", [_line("moved", name, was=was, now=starts)], by)
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


def cancel_meeting_for(meeting: Meeting, *, by: User | None, reason: str | None = None) -> ItineraryVersion:
    """An organiser cancels one meeting (the expert cannot come, the fellow is ill): the expert and the
    fellow get a CANCEL, the expert is left out of later solves and repairs, and the itinerary gets a version.
    A repair afterwards can use the freed time for someone who did not fit."""
    visit = meeting.programme
    meeting.invitation.meeting_cancelled_at = utcnow()
    name = meeting.expert.name if meeting.expert else "An expert"
    line = _line("cancelled", name, was=meeting.starts_at, reason=(reason or "").strip()[:300] or None)
    cancel_meeting(meeting)
    return record_version(visit, "cancel", [line], by)


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
