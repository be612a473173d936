"""Follow-ups: recorded after a meeting by the fellow or an organiser, marked done, reopened or removed.
Flush, never commit: the view commits."""

from __future__ import annotations

from datetime import date, timedelta

from core.errors import ServiceError
from core.models import utcnow
from core.timeutil import local_today, to_local
from extensions import db
from programmes.models import FOLLOW_UP_OWNERS, FollowUp, Meeting

#: How far ahead a due date may be: past the two-year tenure is a typing slip, not a plan.
LATEST_DUE = timedelta(days=3 * 365)


def add_follow_up(meeting: Meeting, actor, action: str, owner: str, due_on: date) -> FollowUp:
    """An action agreed at a meeting that has taken place, due on or after the meeting's day."""
    if meeting.ends_at > utcnow():
        raise ServiceError("You can record follow-ups once the meeting has taken place.")
    action = " ".join((action or "").split())
    if not action:
        raise ServiceError("Say what is to be done.")
    if owner not in FOLLOW_UP_OWNERS:
        raise ServiceError("Choose who does it.")
    met_on = to_local(meeting.starts_at).date()
    if due_on < met_on:
        raise ServiceError(f"The due date cannot be before the meeting ({met_on:%-d %B %Y}).")
    if due_on > local_today() + LATEST_DUE:
        raise ServiceError("The due date is more than three years away: check the year.")
    follow_up = FollowUp(meeting=meeting, action=action[:300], owner=owner, due_on=due_on, created_by_id=actor.id)
    if due_on <= local_today():
        # Recorded on or after its day: whoever typed it knows, so there is nothing to nudge about.
        follow_up.nudged_at = utcnow()
    db.session.add(follow_up)
    db.session.flush()
    return follow_up


def mark_done(follow_up: FollowUp) -> bool:
    """Done now; False if it already was (a second click changes nothing)."""
    if follow_up.done_at is not None:
        return False
    follow_up.done_at = utcnow()
    db.session.flush()
    return True


def reopen(follow_up: FollowUp) -> bool:
    """Not done after all: it counts as open (or overdue) again and is nudged again when due."""
    if follow_up.done_at is None:
        return False
    follow_up.done_at = None
    follow_up.nudged_at = None
    db.session.flush()
    return True


def remove_follow_up(follow_up: FollowUp) -> None:
    db.session.delete(follow_up)
    db.session.flush()
