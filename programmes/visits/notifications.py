"""Telling organisers of experts' answers: an email each to those who chose it, and a line in the daily
digest for the rest (``fellows.alerts``), so a busy week of answers is one email, not a flood. The fellow
hears of a meeting when it is placed in the timetable (``timetable.notifications``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.urls import external_url
from extensions import db
from fellows.alerts import alert_organisers
from programmes.models import ExpertInvitation, VisitProgramme


def _answer_line(invitation: ExpertInvitation) -> str:
    expert = invitation.expert.name if invitation.expert else "An expert"
    visit = invitation.programme.title
    late = " (late: after the invitation expired)" if invitation.expired_at else ""
    if invitation.status == "accepted":
        offered = len(invitation.available or [])
        return f"{expert} accepted to meet for {visit} ({offered} half-day{'s' if offered != 1 else ''} offered){late}"
    suggested = " and suggested a colleague" if invitation.suggestion else ""
    return f"{expert} declined to meet for {visit}{suggested}{late}"


def tell_organisers_of_answer(invitation: ExpertInvitation) -> None:
    """An expert answered (or changed their answer): organisers who chose "each" get an email now."""
    link = external_url("programmes_manage.visit", visit_id=invitation.programme_id)
    stamp = f"{invitation.responded_at:%Y%m%d%H%M%S}" if invitation.responded_at else ""
    alert_organisers(
        f"expert-answer:{invitation.id}:{invitation.status}:{stamp}",
        f"An expert answered: {invitation.programme.title}",
        _answer_line(invitation),
        link,
    )


def expert_answer_alerts(since: datetime, until: datetime) -> list[tuple[str, str]]:
    """Experts' answers given in the window, for the organisers' digest."""
    invitations = db.session.scalars(
        select(ExpertInvitation)
        .where(
            ExpertInvitation.responded_at > since,
            ExpertInvitation.responded_at <= until,
            ExpertInvitation.status.in_(("accepted", "declined")),
        )
        .options(
            selectinload(ExpertInvitation.expert),
            selectinload(ExpertInvitation.programme).selectinload(VisitProgramme.fellow),
        )
        .order_by(ExpertInvitation.responded_at, ExpertInvitation.id)
    )
    return [
        (_answer_line(invitation), external_url("programmes_manage.visit", visit_id=invitation.programme_id))
        for invitation in invitations
    ]
