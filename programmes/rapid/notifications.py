"""Rapid response in email: asking the panel (a private link each), the organisers' alert when an answer
comes in, and the thanks."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.mail import queue_email
from core.sealing import SealError, open_seal
from core.timeutil import to_local
from core.urls import external_url
from extensions import db
from fellows.alerts import alert_organisers
from programmes.models import PanelMember, RapidQuestion
from programmes.rapid import services


def _link(token: str) -> str:
    return external_url("programmes.panel_answer", token=token)


def ask_panel(rapid: RapidQuestion, now: datetime) -> int:
    """Email each listed, contactable expert of the panel their private link; returns how many were asked."""
    asked = 0
    for member in list(rapid.panel):
        if member.status != "listed" or member.expert is None or member.expert.do_not_contact:
            continue
        token = services.claim_for_asking(member, now)
        if token is None:
            continue
        queue_email(
            member.expert.email,
            f"A question for you, by {to_local(rapid.deadline_at):%-d %B}: {rapid.question[:80]}",
            "panel_question",
            kind="panel_question",
            dedupe_key=f"panel-question:{member.id}",
            expert=member.expert,
            rapid=rapid,
            secrets={"link": _link(token)},
        )
        asked += 1
    db.session.flush()
    return asked


def answer_alert(member: PanelMember) -> None:
    rapid = member.question
    alert_organisers(
        f"panel-answer:{member.id}",
        f"{member.expert.name} answered a rapid-response question",
        f"{member.expert.name} answered “{rapid.question[:120]}”"
        + (" (late: after the deadline)" if member.late else ""),
        external_url("programmes_manage.rapid_question", rapid_id=rapid.id),
    )


def thank_panel(rapid: RapidQuestion, now: datetime, note: str | None = None) -> int:
    """Thank, once, every expert who answered; returns how many were thanked."""
    thanked = 0
    for member in rapid.panel:
        if member.expert is None or member.answered_at is None or not services.claim_for_thanks(member, now):
            continue
        link = None
        if member.sealed_token:
            try:
                link = _link(open_seal(member.sealed_token)["token"])
            except SealError:
                current_app.logger.warning("Panel member %s: link sealed with another SECRET_KEY", member.id)
        queue_email(
            member.expert.email,
            f"Thank you for your answer: {rapid.question[:80]}",
            "panel_thanks",
            kind="panel_thanks",
            dedupe_key=f"panel-thanks:{member.id}",
            expert=member.expert,
            rapid=rapid,
            note=note,
            secrets={"link": link} if link else None,
            has_link=link is not None,
        )
        thanked += 1
    db.session.flush()
    return thanked


def panel_answer_alerts(since: datetime, until: datetime) -> list[tuple[str, str]]:
    """Panel answers given (or last changed) in the window, for the organisers' daily digest."""
    members = db.session.scalars(
        select(PanelMember)
        .where(PanelMember.answered_at > since, PanelMember.answered_at <= until, PanelMember.expert_id.is_not(None))
        .options(selectinload(PanelMember.expert), selectinload(PanelMember.question))
        .order_by(PanelMember.answered_at, PanelMember.id)
    )
    return [
        (
            f"{m.expert.name} answered “{m.question.question[:120]}”" + (" (late)" if m.late else ""),
            external_url("programmes_manage.rapid_question", rapid_id=m.question_id),
        )
        for m in members
    ]
