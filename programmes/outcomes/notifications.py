"""Nudges when a follow-up falls due: the fellow is emailed about her own actions; the programme team's and
the experts' actions go to the organisers (an email each to those who chose it, a line in the daily digest
for the rest), since experts have no account and are chased by the team, with care. Each follow-up is
nudged once; the outbox's dedupe key keeps a rerun from sending twice."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial

from core.mail import queue_email, queue_once
from core.models import utcnow
from core.timeutil import to_local
from core.urls import external_url
from extensions import db
from fellows.alerts import alert_organisers
from programmes.models import FollowUp
from programmes.outcomes.queries import due_between, due_for_a_nudge


def _line(follow_up: FollowUp) -> str:
    meeting = follow_up.meeting
    expert = meeting.expert.name if meeting.expert else "an expert"
    return (
        f"{follow_up.owner_label} to {follow_up.action[0].lower()}{follow_up.action[1:]}: agreed by "
        f"{meeting.programme.fellow.display_name} with {expert} on {to_local(meeting.starts_at):%-d %B %Y}, "
        f"due {follow_up.due_on:%-d %B %Y}"
    )


def _link(follow_up: FollowUp) -> str:
    itinerary = external_url("programmes.itinerary", visit_id=follow_up.meeting.programme_id)
    return f"{itinerary}#meeting-{follow_up.meeting_id}"


def nudge_due_follow_ups(today: date) -> int:
    """Queue the nudge of every follow-up due by ``today`` and not yet nudged; how many were nudged. A
    deactivated fellow's own follow-ups are marked as seen without an email."""
    nudged = 0
    for follow_up in due_for_a_nudge(today):
        if follow_up.owner == "fellow":
            fellow = follow_up.meeting.programme.fellow
            if not fellow.active:  # deactivated: she cannot sign in to it, so she is not written to
                follow_up.nudged_at = utcnow()
                continue
            queue_once(
                {
                    f"follow-up-due:{follow_up.id}": partial(
                        _queue_for_fellow, follow_up=follow_up, fellow=fellow, link=_link(follow_up)
                    )
                }
            )
        else:
            alert_organisers(
                f"follow-up-due:{follow_up.id}",
                f"A follow-up is due: {follow_up.meeting.programme.title}",
                _line(follow_up),
                _link(follow_up),
            )
        follow_up.nudged_at = utcnow()
        nudged += 1
    db.session.flush()
    return nudged


def _queue_for_fellow(dedupe_key: str, *, follow_up: FollowUp, fellow, link: str) -> None:
    meeting = follow_up.meeting
    queue_email(
        fellow.email,
        f"A follow-up is due: {follow_up.action}",
        "follow_up_due",
        kind="follow_up_due",
        user_id=fellow.id,
        dedupe_key=dedupe_key,
        fellow=fellow,
        follow_up=follow_up,
        expert=meeting.expert,
        met_on=to_local(meeting.starts_at),
        link=link,
    )


def follow_up_alerts(since: datetime, until: datetime) -> list[tuple[str, str]]:
    """The team's and experts' follow-ups that fell due in the window, for the organisers' digest."""
    return [(_line(follow_up), _link(follow_up)) for follow_up in due_between(since, until)]
