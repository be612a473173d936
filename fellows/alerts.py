"""Telling organisers what needs them — new requests to join, reviewers' answers to draft write-ups —
as each organiser chose on their account page: a daily digest (the default), an email each, or none.

Each area lists what happened in a time window through ``core.registry.organiser_alerts``; the digest
(``flask --app app digest``, daily from cron) gathers those. An "each" email is queued by the action
itself, in its transaction. Functions flush; the caller commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.lib.wording import plural
from core.mail import queue_email, queue_once
from core.models import OutboxMessage, utcnow
from core.registry import organiser_alerts
from core.timeutil import to_local
from core.urls import external_url
from extensions import db
from fellows.models import JoinRequest, User

#: A new organiser's first digest looks back this far.
FIRST_DIGEST_WINDOW = timedelta(days=1)


def _organisers(choice: str) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == "organiser", User.active.is_(True), User.organiser_alerts == choice)
            .order_by(User.id)
        )
    )


def alert_organisers(key: str, subject: str, line: str, link: str) -> int:
    """Email, now, each organiser who chose "each"; ``key`` names the happening (once per organiser)."""

    def queue(dedupe_key: str, organiser: User) -> None:
        queue_email(
            organiser.email,
            subject,
            "organiser_alert",
            kind="organiser_alert",
            user_id=organiser.id,
            dedupe_key=dedupe_key,
            user=organiser,
            line=line,
            link=link,
            account_link=external_url("auth.account"),
        )

    queued = queue_once({f"alert:{key}:{o.id}": partial(queue, organiser=o) for o in _organisers("each")})
    db.session.flush()
    return queued


def digest_key(organiser: User, now: datetime) -> str:
    """One digest per organiser per local day, however often the command runs."""
    return f"digest:{organiser.id}:{to_local(now):%Y-%m-%d}"


def queue_digests(now: datetime | None = None) -> int:
    """Queue each digest-choosing organiser one email listing what happened since their last digest.

    Nothing is sent to an organiser when nothing happened; running again the same day sends nothing more
    (a dedupe key per organiser and day), and what happens later that day waits for tomorrow's digest.
    Returns how many digests were queued.
    """
    now = now or utcnow()
    queued = 0
    for organiser in _organisers("digest"):
        key = digest_key(organiser, now)
        if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)):
            continue
        since = organiser.last_digest_at or now - FIRST_DIGEST_WINDOW
        sections = [(name, items) for name, alerts in organiser_alerts.items() if (items := alerts(since, now))]
        if not sections:
            continue
        count = sum(len(items) for _, items in sections)
        try:
            with db.session.begin_nested():  # another run queuing the same digest a moment ago wins
                queue_email(
                    organiser.email,
                    f"Your daily digest: {plural(count, 'new item')}",
                    "organiser_digest",
                    kind="organiser_digest",
                    user_id=organiser.id,
                    dedupe_key=key,
                    user=organiser,
                    sections=sections,
                    since=since,
                    account_link=external_url("auth.account"),
                )
        except IntegrityError:
            continue
        organiser.last_digest_at = now
        queued += 1
    db.session.flush()
    return queued


# Requests to join ----------------------------------------------------------------------------------


def _join_request_line(request: JoinRequest) -> str:
    return f"{request.name} ({request.organisation_name}) asked to join"


def join_request_alerts(since: datetime, until: datetime) -> list[tuple[str, str]]:
    """Requests to join made in the window and still waiting for a decision."""
    link = external_url("fellows_manage.join_requests")
    requests = db.session.scalars(
        select(JoinRequest)
        .where(JoinRequest.created_at > since, JoinRequest.created_at <= until, JoinRequest.status == "pending")
        .order_by(JoinRequest.created_at, JoinRequest.id)
    )
    return [(_join_request_line(request), link) for request in requests]


def alert_join_request(request: JoinRequest) -> int:
    """A new request to join: organisers who want each one hear now."""
    return alert_organisers(
        f"join_request:{request.id}",
        f"New request to join: {request.name}",
        _join_request_line(request),
        external_url("fellows_manage.join_requests"),
    )
