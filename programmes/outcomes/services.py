"""Follow-ups (recorded after a meeting by the fellow or an organiser, marked done, reopened or removed)
and impact records (what changed, the evidence, the meetings, quotes with consent). Flush, never commit:
the view commits."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import delete, select

from core.errors import ServiceError
from core.models import utcnow
from core.timeutil import local_today, to_local
from extensions import db
from programmes.models import (
    FOLLOW_UP_OWNERS,
    ExpertInvitation,
    FollowUp,
    ImpactQuote,
    ImpactRecord,
    ImpactWithheld,
    Meeting,
    VisitProgramme,
)

#: How far ahead a due date may be: past the two-year tenure is a typing slip, not a plan.
LATEST_DUE = timedelta(days=3 * 365)


def add_follow_up(meeting: Meeting, actor, action: str, owner: str, due_on: date) -> FollowUp:
    """An action agreed at a meeting that has taken place, due on or after the meeting's day."""
    if meeting.ends_at > utcnow():
        raise ServiceError("You can record follow-ups once the meeting has taken place.")
    action = _checked(meeting, action, owner, due_on)
    follow_up = FollowUp(meeting=meeting, action=action, owner=owner, due_on=due_on, created_by_id=actor.id)
    if due_on <= local_today():
        # Recorded on or after its day: whoever typed it knows, so there is nothing to nudge about.
        follow_up.nudged_at = utcnow()
    db.session.add(follow_up)
    db.session.flush()
    return follow_up


def _checked(meeting: Meeting, action: str, owner: str, due_on: date) -> str:
    """The action as kept (spaces collapsed); raises ServiceError for what a follow-up may not be."""
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
    return action[:300]


def edit_follow_up(follow_up: FollowUp, action: str, owner: str, due_on: date) -> None:
    """Change what is to be done, who does it or when. A later due date (still ahead) is nudged again on
    its day; one moved to today or before is not (whoever moved it knows)."""
    follow_up.action = _checked(follow_up.meeting, action, owner, due_on)
    follow_up.owner = owner
    if due_on != follow_up.due_on:
        follow_up.due_on = due_on
        follow_up.nudged_at = utcnow() if due_on <= local_today() else None
    db.session.flush()


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


def _held_meetings_of(fellow_id: int, meeting_ids: list[int]) -> list[Meeting]:
    """The fellow's own meetings among ``meeting_ids`` that have taken place; another's is refused."""
    if not meeting_ids:
        return []
    meetings = list(
        db.session.scalars(
            select(Meeting)
            .join(VisitProgramme, VisitProgramme.id == Meeting.programme_id)
            .where(Meeting.id.in_(meeting_ids), VisitProgramme.fellow_id == fellow_id, Meeting.ends_at <= utcnow())
        )
    )
    if len(meetings) != len(set(meeting_ids)):
        raise ServiceError("Choose among the fellow's meetings that have taken place.")
    return meetings


def save_impact(
    record: ImpactRecord,
    fellow_id: int,
    actor,
    *,
    title: str,
    what_changed: str,
    evidence: str | None,
    happened_on: date | None,
    meeting_ids: list[int],
) -> ImpactRecord:
    """Create or update an impact record of the fellow: what changed, the evidence, the meetings it drew on."""
    if happened_on is not None and happened_on > local_today():
        raise ServiceError("The change cannot have happened in the future: leave the date empty if unsure.")
    record.meetings = _held_meetings_of(fellow_id, meeting_ids)
    record.fellow_id = fellow_id
    record.title = " ".join(title.split())
    record.what_changed = what_changed.strip()
    record.evidence = (evidence or "").strip() or None
    record.happened_on = happened_on
    if record.id is None:
        record.created_by_id = actor.id
        db.session.add(record)
    db.session.flush()
    return record


def remove_impact(record: ImpactRecord) -> None:
    db.session.delete(record)
    db.session.flush()


def add_quote(record: ImpactRecord, text: str, speaker: str, consent_on: date | None) -> ImpactQuote:
    """A quote about the change, kept only with the day the speaker agreed to be quoted."""
    if consent_on is None:
        raise ServiceError("A quote is kept only with the speaker's consent: record the day they agreed.")
    if consent_on > local_today():
        raise ServiceError("The day of consent cannot be in the future.")
    quote = ImpactQuote(record=record, text=text.strip(), speaker=" ".join(speaker.split()), consent_on=consent_on)
    db.session.add(quote)
    db.session.flush()
    return quote


def remove_quote(quote: ImpactQuote) -> None:
    """Withdrawn consent, or a mistake: the quote goes."""
    db.session.delete(quote)
    db.session.flush()


def withhold_name(record: ImpactRecord, expert) -> bool:
    """The expert asks not to be named in this story (which must draw on one of their meetings); False if
    they had already asked."""
    if not any(m.expert is not None and m.expert.id == expert.id for m in record.meetings):
        raise ServiceError("This story does not draw on a meeting of yours.")
    if any(w.expert_id == expert.id for w in record.withheld):
        return False
    record.withheld.append(ImpactWithheld(expert_id=expert.id))
    db.session.flush()
    return True


def name_again(record: ImpactRecord, expert) -> bool:
    """The expert lets the story name them again; False if it already did."""
    withheld = [w for w in record.withheld if w.expert_id == expert.id]
    for row in withheld:
        record.withheld.remove(row)
    db.session.flush()
    return bool(withheld)


def unname_expert(expert) -> None:
    """An expert leaving the network: their full name, in the follow-ups and the fellow's notes of their
    meetings, becomes "the expert" (called before their invitations are made anonymous)."""
    if len(expert.name.strip()) < 3:
        return
    name = re.compile(re.escape(expert.name.strip()), re.IGNORECASE)
    meetings = db.session.scalars(
        select(Meeting)
        .join(ExpertInvitation, ExpertInvitation.id == Meeting.invitation_id)
        .where(ExpertInvitation.expert_id == expert.id)
    ).all()
    for meeting in meetings:
        if meeting.follow_up:
            meeting.follow_up = name.sub("the expert", meeting.follow_up)
    for follow_up in db.session.scalars(select(FollowUp).where(FollowUp.meeting_id.in_([m.id for m in meetings]))):
        follow_up.action = name.sub("the expert", follow_up.action)
    db.session.flush()


def erase_impact(user) -> None:
    """Account deletion: the fellow's impact records go, with their quotes and links to meetings."""
    db.session.execute(delete(ImpactRecord).where(ImpactRecord.fellow_id == user.id))
    db.session.flush()
