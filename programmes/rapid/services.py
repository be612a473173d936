"""Rapid-response questions and their panels: open a question, list experts, ask them (a private link
each), record their answers (late after the deadline), thank them; erasure with the expert. Flush, never
commit: the view or command commits."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from core.errors import ServiceError
from core.lib.tokens import new_token
from core.models import Tag, utcnow
from core.sealing import seal
from extensions import db
from programmes.models import Expert, PanelMember, RapidQuestion

#: A rapid question is answered in days: a deadline at least this far ahead …
SOONEST = timedelta(hours=1)
#: … and at most this far (beyond it, it is a visit or a workshop, not a rapid response).
LATEST = timedelta(days=60)
#: Experts on one panel, at most.
PANEL_MOST = 25
#: Longest written answer, in characters (about 1,500 words).
ANSWER_MOST = 10_000


def open_question(by, question: str, context: str | None, topics: list[Tag], deadline_at: datetime) -> RapidQuestion:
    """A new rapid-response question with its deadline (an aware datetime)."""
    now = utcnow()
    question = " ".join((question or "").split())
    if not question:
        raise ServiceError("Write the question.")
    if deadline_at < now + SOONEST:
        raise ServiceError("The deadline must be at least an hour from now.")
    if deadline_at > now + LATEST:
        raise ServiceError("A rapid response is answered within 60 days: choose an earlier deadline.")
    rapid = RapidQuestion(
        question=question,
        context=(context or "").strip() or None,
        topics=topics,
        deadline_at=deadline_at,
        created_by_id=by.id,
    )
    db.session.add(rapid)
    db.session.flush()
    return rapid


def add_to_panel(rapid: RapidQuestion, experts: list[Expert], reasons: dict[int, str] | None = None) -> int:
    """Put contactable experts on the panel (those already on it are skipped); returns how many were added."""
    on_panel = {m.expert_id for m in rapid.panel}
    wanted = [e for e in experts if e.id not in on_panel and not e.do_not_contact]
    if len(on_panel) + len(wanted) > PANEL_MOST:
        raise ServiceError(f"A panel has at most {PANEL_MOST} experts.")
    for expert in wanted:
        rapid.panel.append(PanelMember(expert=expert, reasons=(reasons or {}).get(expert.id)))
    db.session.flush()
    return len(wanted)


def remove_from_panel(member: PanelMember) -> None:
    if member.status != "listed":
        raise ServiceError("This expert has been asked already: their link stays valid.")
    db.session.delete(member)
    db.session.flush()


def claim_for_asking(member: PanelMember, now: datetime) -> str | None:
    """Move a listed member to ``asked`` with a fresh private link, by a conditional UPDATE (two organisers
    pressing *Ask the panel* at once email each expert once); the token, or None if already asked."""
    token = new_token()
    claimed = db.session.execute(
        update(PanelMember)
        .where(PanelMember.id == member.id, PanelMember.status == "listed")
        .values(status="asked", asked_at=now, token_hash=PanelMember.hash(token), sealed_token=seal({"token": token}))
    )
    if claimed.rowcount != 1:
        return None
    db.session.refresh(member)
    return token


def find_member(token: str) -> PanelMember | None:
    """The panel member behind a private link, or None (unknown, or the expert was removed)."""
    if not token or len(token) > 200:
        return None
    member = db.session.scalar(select(PanelMember).where(PanelMember.token_hash == PanelMember.hash(token)))
    if member is None or member.expert is None:
        return None
    return member


def mark_opened(member: PanelMember) -> None:
    """The expert's first opening of the link (one conditional UPDATE, once)."""
    db.session.execute(
        update(PanelMember)
        .where(PanelMember.id == member.id, PanelMember.opened_at.is_(None))
        .values(opened_at=utcnow())
    )


def answer(member: PanelMember, text: str, now: datetime) -> bool:
    """Record (or replace) the expert's written answer; after the deadline it is kept and marked late.
    Returns whether this was the first answer."""
    text = (text or "").strip()
    if not text:
        raise ServiceError("Write your answer.")
    if len(text) > ANSWER_MOST:
        raise ServiceError(f"Please keep your answer under {ANSWER_MOST:,} characters.")
    first = member.answered_at is None
    member.answer = text
    member.answered_at = now
    member.late = member.question.is_past_deadline(now)
    db.session.flush()
    return first


def claim_for_thanks(member: PanelMember, now: datetime) -> bool:
    """Mark an answering member thanked, once (a conditional UPDATE); False if already thanked."""
    claimed = db.session.execute(
        update(PanelMember)
        .where(PanelMember.id == member.id, PanelMember.thanked_at.is_(None), PanelMember.answered_at.is_not(None))
        .values(thanked_at=now)
    )
    return claimed.rowcount == 1


def erase_expert_answers(expert: Expert) -> None:
    """An expert removing themselves from the network: their panel places go, answers with them."""
    db.session.execute(PanelMember.__table__.delete().where(PanelMember.expert_id == expert.id))
    db.session.flush()


def retire_links(now: datetime) -> dict[str, int]:
    """Retention: the private links of questions whose deadline passed more than RETENTION_EXPERT_LINK_DAYS
    ago stop working (the answers stay with the organisers, for the brief)."""
    days = current_app.config.get("RETENTION_EXPERT_LINK_DAYS", 30)
    old = select(RapidQuestion.id).where(RapidQuestion.deadline_at < now - timedelta(days=days))
    retired = db.session.execute(
        update(PanelMember)
        .where(PanelMember.question_id.in_(old), PanelMember.token_hash.is_not(None))
        .values(token_hash=None, sealed_token=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    return {"rapid-response panel links": retired}
