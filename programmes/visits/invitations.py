"""Inviting experts to meet a fellow during a visit: the long list, the funnel (a target per question,
invited in waves from its shortlist), the private link, answers, reminders, and an expert's own erasure from
the network (flush, never commit; the view or command commits).

The private link carries a random token. Only its SHA-256 hash finds the invitation; the token itself
is kept sealed (core.sealing) so a reminder can repeat it, and both are dropped when the link retires.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app
from flask_login import AnonymousUserMixin
from sqlalchemy import delete, select, update
from sqlalchemy.orm import joinedload

from core import audit
from core.errors import ServiceError
from core.lib.halfday import HalfDay
from core.mail import queue_email
from core.models import OutboxMessage, utcnow
from core.permissions import can_view_profile
from core.sealing import SealError, open_seal, seal
from core.timeutil import local_today
from core.upsert import lock_row
from core.urls import external_url
from extensions import db
from programmes.briefs.services import draft_of, version_to_send
from programmes.models import (
    BriefVersion,
    Expert,
    ExpertInvitation,
    Meeting,
    PolicyQuestion,
    VisitProgramme,
    VisitTarget,
)
from programmes.outcomes.services import unname_expert
from programmes.rapid.services import erase_expert_answers
from programmes.visits.notifications import tell_organisers_of_answer
from programmes.visits.queries import QuestionPlan, plans, targets_of

#: Longest answer an expert may type in a free-text box.
MAX_TEXT = 2000


def conflict_of_interest(visit: VisitProgramme, expert: Expert) -> str | None:
    """Why meeting ``expert`` may not be independent advice for the visit's fellow, or None: today, that
    the expert works at the fellow's own organisation."""
    fellow = visit.fellow
    if expert.organisation_id is not None and expert.organisation_id == fellow.organisation_id:
        return f"{expert.name} works at {expert.organisation.name}, {fellow.name}'s own organisation"
    return None


def add_to_long_list(
    visit: VisitProgramme,
    expert: Expert,
    question: PolicyQuestion | None,
    *,
    override_conflict: bool = False,
    by=None,
) -> ExpertInvitation:
    """Put ``expert`` on the visit's long list (not invited yet). An expert with a conflict of interest is
    added only when the organiser says so, and that is recorded in the audit log."""
    if expert.do_not_contact:
        raise ServiceError(f"{expert.name} is marked do not contact.")
    conflict = conflict_of_interest(visit, expert)
    if conflict and not override_conflict:
        raise ServiceError(f"Conflict of interest: {conflict}. Tick the box to add them anyway.")
    existing = db.session.scalar(
        select(ExpertInvitation).where(
            ExpertInvitation.programme_id == visit.id, ExpertInvitation.expert_id == expert.id
        )
    )
    if existing is not None:
        raise ServiceError(f"{expert.name} is already on this visit's list.")
    if question is not None and question.fellow_id != visit.fellow_id:
        question = None
    invitation = ExpertInvitation(programme=visit, expert=expert, question=question, status="listed", available=[])
    db.session.add(invitation)
    db.session.flush()
    if conflict:
        audit.record(
            by, "expert.conflict_overridden", f"Added despite a conflict of interest: {conflict}", f"visit {visit.id}"
        )
    return invitation


def remove_from_long_list(invitation: ExpertInvitation) -> None:
    """Take an expert off the long list before they are invited (afterwards their answer is kept)."""
    if invitation.status != "listed":
        raise ServiceError("This expert has been invited already: their answer stays on the record.")
    db.session.delete(invitation)
    db.session.flush()


def fellow_as_shown_to_experts(visit: VisitProgramme) -> dict[str, str | None]:
    """Who the fellow is, as far as the fellow's profile visibility allows an outsider to see.

    The name is always given (the expert is asked to meet this person); job title and organisation only
    when the fellow's profile is public.
    """
    fellow = visit.fellow
    public = can_view_profile(AnonymousUserMixin(), fellow)
    return {
        "name": fellow.display_name,
        "job_title": fellow.job_title if public else None,
        "organisation": fellow.organisation.name if public and fellow.organisation else None,
    }


def expert_link(token: str) -> str:
    return external_url("programmes.expert_invitation", token=token)


def brief_as_sent(invitation: ExpertInvitation) -> list[dict]:
    """The questions the expert was invited on: the brief version the invitation names, or (for an
    invitation from before versions, or not sent yet) the fellow's questions as they are now."""
    fellow_id = invitation.programme.fellow_id
    if invitation.brief_version is not None:
        version = db.session.scalar(
            select(BriefVersion).where(
                BriefVersion.fellow_id == fellow_id, BriefVersion.number == invitation.brief_version
            )
        )
        if version is not None:
            return version.questions
    return draft_of(fellow_id)


def _queue(invitation: ExpertInvitation, token: str, *, reminder: bool) -> None:
    visit, expert = invitation.programme, invitation.expert
    questions = brief_as_sent(invitation)
    fellow = fellow_as_shown_to_experts(visit)
    queue_email(
        expert.email,
        ("Reminder: " if reminder else "") + f"Would you meet {fellow['name']}, a Policy Fellow, during their visit?",
        "expert_invitation",
        kind="expert_reminder" if reminder else "expert_invitation",
        dedupe_key=f"expert-reminder:{invitation.id}" if reminder else None,
        expert=expert,
        fellow=fellow,
        visit=visit,
        questions=questions,
        reminder=reminder,
        secrets={"link": expert_link(token)},
    )


def _listed(visit: VisitProgramme) -> list[ExpertInvitation]:
    """The visit's contactable experts on the long list, not invited yet, in the order they were added."""
    return db.session.scalars(
        select(ExpertInvitation)
        .join(Expert, Expert.id == ExpertInvitation.expert_id)
        .where(
            ExpertInvitation.programme_id == visit.id,
            ExpertInvitation.status == "listed",
            Expert.do_not_contact.is_(False),
        )
        .order_by(ExpertInvitation.id)
    ).all()


def _invite(visit: VisitProgramme, chosen: list[ExpertInvitation]) -> int:
    """Email each of ``chosen`` a private link; returns how many were invited.

    Each invitation moves from ``listed`` to ``invited`` by a conditional UPDATE, so two organisers
    pressing the button at once never email an expert twice.
    """
    sent = 0
    now = utcnow()
    # Experts are sent a fixed version of the fellow's questions (issued now if the draft changed).
    version = version_to_send(visit.fellow_id) if chosen else None
    for invitation in chosen:
        token = secrets.token_urlsafe(32)
        claimed = db.session.execute(
            update(ExpertInvitation)
            .where(ExpertInvitation.id == invitation.id, ExpertInvitation.status == "listed")
            .values(
                status="invited",
                token_hash=ExpertInvitation.hash(token),
                sealed_token=seal({"token": token}),
                invited_at=now,
                brief_version=version.number if version else None,
            )
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:
            db.session.refresh(invitation)
            _queue(invitation, token, reminder=False)
            sent += 1
    return sent


def funnel_plans(visit: VisitProgramme) -> dict[int, QuestionPlan]:
    """{question id: QuestionPlan} of the visit's questions with a target, read afresh from the database
    (whatever this session has seen before); empty when no question has a target."""
    targets = targets_of(visit.id)
    if not targets:
        return {}
    invitations = db.session.scalars(
        select(ExpertInvitation)
        .where(ExpertInvitation.programme_id == visit.id)
        .options(joinedload(ExpertInvitation.expert))
        .execution_options(populate_existing=True)
    ).all()
    return plans(visit, invitations, targets)


def send_invitations(visit: VisitProgramme) -> int:
    """Email experts on the long list a private link; returns how many were invited.

    For a question with a target, only as many of its shortlist as the funnel wants now are invited (the
    meetings still wanted times the over-invite factor, less those waiting for an answer); the rest stay
    on the list in reserve, for ``top_up``. Every other expert on the list is invited.
    """
    allowed = {q: set(plan.reserve[: plan.to_invite]) for q, plan in funnel_plans(visit).items()}
    chosen = [i for i in _listed(visit) if i.question_id not in allowed or i.id in allowed[i.question_id]]
    return _invite(visit, chosen)


def top_up(visit: VisitProgramme) -> int:
    """Fill the places a decline, an expiry or a cancelled meeting freed: for each question with a target
    whose invitations have started, invite the next experts of its shortlist, while the visit is ahead.
    Returns how many were invited.

    Two declines at once must not both invite the next expert: each takes the visit's row lock first
    (core.upsert.lock_row), so the second counts what the first invited.
    """
    if visit.starts_on <= local_today():
        return 0
    lock_row(VisitProgramme, visit.id)
    due = {i for plan in funnel_plans(visit).values() if plan.started for i in plan.reserve[: plan.to_invite]}
    if not due:
        return 0
    return _invite(visit, [invitation for invitation in _listed(visit) if invitation.id in due])


def top_up_all() -> int:
    """``top_up`` every visit ahead with a target (the scheduled ``expert-reminders`` runs it after expiring
    invitations); returns how many experts were invited."""
    ahead = db.session.scalars(
        select(VisitProgramme)
        .where(
            VisitProgramme.starts_on > local_today(),
            VisitProgramme.id.in_(select(VisitTarget.programme_id)),
        )
        .order_by(VisitProgramme.id)
    ).all()
    return sum(top_up(visit) for visit in ahead)


def find_invitation(token: str) -> ExpertInvitation | None:
    """The live invitation behind a private link, or None (unknown, retired, or the expert was removed)."""
    if not token or len(token) > 200:
        return None
    invitation = db.session.scalar(
        select(ExpertInvitation).where(ExpertInvitation.token_hash == ExpertInvitation.hash(token))
    )
    if invitation is None or invitation.expert is None:
        return None
    return invitation


def mark_opened(invitation: ExpertInvitation) -> None:
    """The expert opened their private link: the first time counts towards the visit's funnel."""
    if invitation.opened_at is not None:
        return
    db.session.execute(
        update(ExpertInvitation)
        .where(ExpertInvitation.id == invitation.id, ExpertInvitation.opened_at.is_(None))
        .values(opened_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(invitation, ["opened_at"])


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        raise ServiceError(f"Please keep it under {MAX_TEXT} characters.")
    return text or None


def respond(invitation: ExpertInvitation, decision: str, *, available=(), suggestion=None, message=None) -> None:
    """Record the expert's answer: accept (with the half-days they can do) or decline (perhaps suggesting
    a colleague). They may change it until the visit begins."""
    visit = invitation.programme
    if visit.starts_on <= local_today():
        raise ServiceError("This visit has begun, so answers are closed. Please reply to the organisers' email.")
    if decision == "accept":
        offered = [str(half) for half in visit.half_days()]
        chosen = [slot for slot in offered if slot in set(available)]
        if not chosen or not set(available) <= set(offered):
            raise ServiceError("Tick at least one half-day you could do.")
        invitation.status, invitation.available, invitation.suggestion = "accepted", chosen, None
    elif decision == "decline":
        invitation.status, invitation.available = "declined", []
        invitation.suggestion = _clean(suggestion)
    else:
        raise ServiceError("Choose whether you can meet the fellow.")
    # A late answer (after the invitation expired) is recorded all the same; ``expired_at`` stays, so the
    # organisers see it came late, perhaps after the week was built.
    invitation.message = _clean(message)
    invitation.responded_at = utcnow()
    db.session.flush()
    tell_organisers_of_answer(invitation)
    if decision == "decline":
        top_up(visit)  # the place frees for the next expert on the question's shortlist


def mark_unavailable(invitation: ExpertInvitation, busy: Iterable[HalfDay], *, by_expert: bool) -> list[str]:
    """Take half-days found busy in the expert's calendar off their answer, once the import is confirmed
    (by the expert, or an organiser for them); returns those taken off. Other half-days stay as ticked."""
    if by_expert and invitation.programme.starts_on <= local_today():
        raise ServiceError("This visit has begun, so answers are closed. Please reply to the organisers' email.")
    if invitation.status != "accepted":
        raise ServiceError("There are no half-days to change: the expert has not accepted.")
    gone = {str(half) for half in busy}
    removed = [slot for slot in invitation.available or [] if slot in gone]
    if removed:
        invitation.available = [slot for slot in invitation.available if slot not in gone]
        db.session.flush()
    return removed


def remind_non_responders(now: datetime | None = None) -> int:
    """Remind, once, every expert who has not answered ``reminder_after_days`` after being invited, while
    the visit is still ahead. Idempotent: run it as often as you like."""
    now = now or utcnow()
    waiting = db.session.scalars(
        select(ExpertInvitation)
        .join(VisitProgramme, VisitProgramme.id == ExpertInvitation.programme_id)
        .join(Expert, Expert.id == ExpertInvitation.expert_id)
        .where(
            ExpertInvitation.status == "invited",
            ExpertInvitation.reminded_at.is_(None),
            ExpertInvitation.sealed_token.is_not(None),
            VisitProgramme.starts_on > now.date(),
            Expert.do_not_contact.is_(False),
        )
        .order_by(ExpertInvitation.id)
    ).all()
    sent = 0
    for invitation in waiting:
        visit = invitation.programme
        if invitation.invited_at + timedelta(days=visit.reminder_after_days) > now:
            continue
        if invitation.invited_at + timedelta(days=visit.expire_after_days) <= now:
            continue  # expiring now (the scheduler was down): a reminder would come too late
        try:
            token = open_seal(invitation.sealed_token)["token"]
        except SealError:
            current_app.logger.warning("Expert invitation %s: link sealed with another SECRET_KEY", invitation.id)
            continue
        invitation.reminded_at = now
        _queue(invitation, token, reminder=True)
        sent += 1
    db.session.flush()
    return sent


def expire_unanswered(now: datetime | None = None) -> int:
    """Invitations still unanswered ``expire_after_days`` after they were sent become ``expired``, so the
    funnel shows whom to stop waiting for; returns how many. Idempotent, and safe beside a late answer: each
    row changes only while it is still ``invited``. The link keeps working, and a late answer is recorded."""
    now = now or utcnow()
    waiting = db.session.execute(
        select(ExpertInvitation.id, ExpertInvitation.invited_at, VisitProgramme.expire_after_days)
        .join(VisitProgramme, VisitProgramme.id == ExpertInvitation.programme_id)
        .where(ExpertInvitation.status == "invited", ExpertInvitation.invited_at.is_not(None))
    ).all()
    due = [row.id for row in waiting if row.invited_at + timedelta(days=row.expire_after_days) <= now]
    if not due:
        return 0
    return db.session.execute(
        update(ExpertInvitation)
        .where(ExpertInvitation.id.in_(due), ExpertInvitation.status == "invited")
        .values(status="expired", expired_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount


def erase_expert(expert: Expert) -> int:
    """ "Remove me from this network": the expert and everything personal about them go; their invitations
    stay only as anonymous answers (counted in response rates), their links stop working, and emails to
    them are deleted, queued ones included. Where the follow-ups and notes of their meetings name them in
    full, they read "the expert". Returns the number of invitations kept anonymously."""
    unname_expert(expert)
    kept = db.session.execute(
        update(ExpertInvitation)
        .where(ExpertInvitation.expert_id == expert.id)
        .values(expert_id=None, token_hash=None, sealed_token=None, suggestion=None, message=None, available=[])
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.to_address == expert.email))
    db.session.execute(
        update(Meeting)
        .where(Meeting.invitation_id.in_(select(ExpertInvitation.id).where(ExpertInvitation.expert_id.is_(None))))
        .values(expert_comment=None)
        .execution_options(synchronize_session=False)
    )
    erase_expert_answers(expert)
    db.session.delete(expert)
    db.session.flush()
    db.session.expire_all()
    return kept


def retire_links(now: datetime) -> dict[str, int]:
    """Retention: the private links of visits that ended more than RETENTION_EXPERT_LINK_DAYS ago stop
    working, and the experts' free-text answers (suggested colleagues, notes) are removed."""
    days = current_app.config.get("RETENTION_EXPERT_LINK_DAYS", 30)
    ended = select(VisitProgramme.id).where(VisitProgramme.ends_on < (now - timedelta(days=days)).date())
    retired = db.session.execute(
        update(ExpertInvitation)
        .where(
            ExpertInvitation.programme_id.in_(ended),
            (ExpertInvitation.token_hash.is_not(None))
            | (ExpertInvitation.suggestion.is_not(None))
            | (ExpertInvitation.message.is_not(None)),
        )
        .values(token_hash=None, sealed_token=None, suggestion=None, message=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(
        update(Meeting)
        .where(Meeting.programme_id.in_(ended), Meeting.expert_comment.is_not(None))
        .values(expert_comment=None)
        .execution_options(synchronize_session=False)
    )
    return {"expert links and answers of past visits": retired}
