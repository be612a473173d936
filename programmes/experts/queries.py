"""Reads about experts across every fellow: each expert's ask history (asked, answered, met, rated), and how
often they were asked this term, which matching respects (care for a network asked again and again)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from flask import current_app
from sqlalchemy import false, func, select
from sqlalchemy.orm import aliased

from core.timeutil import local_to_utc, local_today
from extensions import db
from fellows.models import User
from programmes.models import INVITATION_STATUSES, ExpertInvitation, Meeting, PolicyQuestion, VisitProgramme


def term_start(day: date) -> date:
    """The first day of ``day``'s term: the quarter starting 1 January, 1 April, 1 July or 1 October."""
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def ask_cap() -> int:
    """Asks per expert per term, across every fellow (``EXPERT_ASKS_PER_TERM``); 0: no cap."""
    return max(int(current_app.config.get("EXPERT_ASKS_PER_TERM", 3) or 0), 0)


def _term_began() -> datetime:
    return local_to_utc(datetime.combine(term_start(local_today()), time(0, 0)))


def asks_of(expert_id_column):
    """(asked this term, asked ever, accepted ever) of the expert whose id is ``expert_id_column``, as
    correlated counts to select beside it (no statement of their own)."""

    def count(*conditions):
        return (
            select(func.count(ExpertInvitation.id))
            .where(
                ExpertInvitation.expert_id == expert_id_column, ExpertInvitation.invited_at.is_not(None), *conditions
            )
            .scalar_subquery()
        )

    return (
        count(ExpertInvitation.invited_at >= _term_began()),
        count(),
        count(ExpertInvitation.status == "accepted"),
    )


def at_the_cap():
    """Expert ids asked ``ask_cap()`` times this term already (an empty selection without a cap): matching
    leaves them out until the next term."""
    cap = ask_cap()
    query = select(ExpertInvitation.expert_id).where(
        ExpertInvitation.expert_id.is_not(None), ExpertInvitation.invited_at >= _term_began()
    )
    if not cap:
        return query.where(false())
    return query.group_by(ExpertInvitation.expert_id).having(func.count(ExpertInvitation.id) >= cap)


@dataclass(frozen=True)
class Ask:
    """One invitation of an expert, to meet one fellow, and what came of it."""

    visit_id: int
    fellow: str
    visit_starts: date
    question: str | None
    invited_at: datetime | None
    status: str
    late: bool
    met_at: datetime | None
    cancelled: bool
    fellow_rating: int | None
    expert_rating: int | None

    @property
    def status_label(self) -> str:
        return INVITATION_STATUSES.get(self.status, self.status) + (" (late)" if self.late else "")


@dataclass(frozen=True)
class AskHistory:
    asks: list[Ask]
    this_term: int
    cap: int

    def count(self, status: str) -> int:
        return sum(1 for ask in self.asks if ask.status == status)

    @property
    def asked(self) -> int:
        return sum(1 for ask in self.asks if ask.invited_at is not None)

    @property
    def met(self) -> int:
        return sum(1 for ask in self.asks if ask.met_at is not None and not ask.cancelled)

    @property
    def at_cap(self) -> bool:
        return bool(self.cap) and self.this_term >= self.cap


def ask_history(expert_id: int) -> AskHistory:
    """Every invitation of the expert, newest visit first, with the meeting that came of it and both sides'
    ratings. One statement."""
    fellow = aliased(User)
    rows = db.session.execute(
        select(
            VisitProgramme.id,
            fellow.name,
            VisitProgramme.starts_on,
            PolicyQuestion.question,
            ExpertInvitation.invited_at,
            ExpertInvitation.status,
            ExpertInvitation.expired_at,
            ExpertInvitation.responded_at,
            Meeting.starts_at,
            ExpertInvitation.meeting_cancelled_at,
            Meeting.rating,
            Meeting.expert_rating,
        )
        .join(VisitProgramme, VisitProgramme.id == ExpertInvitation.programme_id)
        .join(fellow, fellow.id == VisitProgramme.fellow_id)
        .outerjoin(PolicyQuestion, PolicyQuestion.id == ExpertInvitation.question_id)
        .outerjoin(Meeting, Meeting.invitation_id == ExpertInvitation.id)
        .where(ExpertInvitation.expert_id == expert_id)
        .order_by(VisitProgramme.starts_on.desc(), ExpertInvitation.id.desc())
    ).all()
    began = _term_began()
    asks = [
        Ask(
            visit_id=row[0],
            fellow=row[1],
            visit_starts=row[2],
            question=row[3],
            invited_at=row[4],
            status=row[5],
            late=bool(row[6] and row[7] and row[5] in ("accepted", "declined")),
            met_at=row[8],
            cancelled=row[9] is not None,
            fellow_rating=row[10],
            expert_rating=row[11],
        )
        for row in rows
    ]
    this_term = sum(1 for ask in asks if ask.invited_at is not None and ask.invited_at >= began)
    return AskHistory(asks, this_term, ask_cap())
