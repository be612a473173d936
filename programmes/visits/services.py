"""Visit programmes: a fellow's days of one-to-one meetings (flush, never commit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import func, select

from core.errors import ServiceError
from extensions import db
from fellows.models import User
from programmes.models import (
    DEFAULT_EXPIRE_AFTER_DAYS,
    DEFAULT_LONG_SHOTS,
    DEFAULT_OVER_INVITE_PERCENT,
    INVITATION_STATUSES,
    ExpertInvitation,
    PolicyQuestion,
    VisitProgramme,
    VisitTarget,
)

#: The most meetings one question may want in a visit (a visit holds about 30 in all).
MAX_TARGET = 30

#: A visit is a week or two of meetings, not a term.
MAX_VISIT_DAYS = 21


@dataclass
class VisitInput:
    fellow_id: int
    starts_on: date
    ends_on: date
    day_starts: time
    day_ends: time
    meeting_minutes: int = 45
    lunch_starts: time = time(12, 30)
    lunch_ends: time = time(13, 30)
    home_location: str | None = None
    max_per_day: int = 6
    reminder_after_days: int = 5
    expire_after_days: int = DEFAULT_EXPIRE_AFTER_DAYS
    over_invite_percent: int = DEFAULT_OVER_INVITE_PERCENT
    long_shots: int = DEFAULT_LONG_SHOTS


def save_visit(visit: VisitProgramme, data: VisitInput) -> VisitProgramme:
    """Create or change a visit programme; its days must hold at least one weekday and fit its hours."""
    fellow = db.session.get(User, data.fellow_id)
    if fellow is None or fellow.role != "fellow":
        raise ServiceError("Choose a fellow.")
    if data.ends_on < data.starts_on:
        raise ServiceError("The visit must end on or after its first day.")
    if (data.ends_on - data.starts_on).days >= MAX_VISIT_DAYS:
        raise ServiceError(f"A visit lasts at most {MAX_VISIT_DAYS} days: make a second visit for a return trip.")
    if data.day_ends <= data.day_starts:
        raise ServiceError("Each day must end after it starts.")
    if not (data.day_starts <= data.lunch_starts < data.lunch_ends <= data.day_ends):
        raise ServiceError("The lunch window must fall within the day and end after it starts.")
    if data.reminder_after_days >= data.expire_after_days:
        raise ServiceError("The reminder must go out before the invitation expires: remind after fewer days.")
    visit.fellow_id = data.fellow_id
    for name in (
        "starts_on",
        "ends_on",
        "day_starts",
        "day_ends",
        "meeting_minutes",
        "lunch_starts",
        "lunch_ends",
        "max_per_day",
        "reminder_after_days",
        "expire_after_days",
        "over_invite_percent",
        "long_shots",
    ):
        setattr(visit, name, getattr(data, name))
    visit.home_location = " ".join((data.home_location or "").split()) or None
    db.session.add(visit)
    db.session.flush()
    if not visit.days():
        raise ServiceError("The visit has no weekday: meetings are arranged Monday to Friday.")
    return visit


def save_targets(visit: VisitProgramme, wanted: dict[int, int | None]) -> None:
    """Set the meetings wanted for each of the fellow's questions ({question id: meetings, or None for no
    target}); a question not in ``wanted`` keeps its target. Questions of another fellow are refused."""
    mine = set(db.session.scalars(select(PolicyQuestion.id).where(PolicyQuestion.fellow_id == visit.fellow_id)))
    if not set(wanted) <= mine:
        raise ServiceError("That question is not one of this fellow's.")
    if any(n is not None and not 1 <= n <= MAX_TARGET for n in wanted.values()):
        raise ServiceError(f"A question may want between 1 and {MAX_TARGET} meetings, or none set.")
    existing = {
        target.question_id: target
        for target in db.session.scalars(select(VisitTarget).where(VisitTarget.programme_id == visit.id))
    }
    for question_id, meetings in wanted.items():
        target = existing.get(question_id)
        if meetings is None and target is not None:
            db.session.delete(target)
        elif meetings is not None and target is None:
            db.session.add(VisitTarget(programme_id=visit.id, question_id=question_id, meetings=meetings))
        elif meetings is not None:
            target.meetings = meetings
    db.session.flush()


def invitation_counts(visit_ids: list[int]) -> dict[int, dict[str, int]]:
    """{visit id: {status: number}} for every status, in one grouped query."""
    counts = {visit_id: dict.fromkeys(INVITATION_STATUSES, 0) for visit_id in visit_ids}
    if visit_ids:
        rows = db.session.execute(
            select(ExpertInvitation.programme_id, ExpertInvitation.status, func.count(ExpertInvitation.id))
            .where(ExpertInvitation.programme_id.in_(visit_ids))
            .group_by(ExpertInvitation.programme_id, ExpertInvitation.status)
        )
        for visit_id, status, number in rows:
            counts[visit_id][status] = number
    return counts


def response_rate(counts: dict[str, int]) -> int | None:
    """Percentage of invited experts who answered (accepted or declined; an expired invitation counts as asked
    and unanswered); None before anyone is invited."""
    asked = counts["invited"] + counts["accepted"] + counts["declined"] + counts["expired"]
    return round(100 * (counts["accepted"] + counts["declined"]) / asked) if asked else None
