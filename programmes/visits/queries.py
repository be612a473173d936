"""Reads for a visit's page: whom the fellow met on earlier visits, the invitation funnel, and each targeted
question's place in it (how many more experts to invite)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core.models import Tag
from extensions import db
from programmes.models import Expert, ExpertInvitation, Meeting, PolicyQuestion, VisitProgramme, VisitTarget

#: A fellow's rating (1–5) under which an expert met before is not proposed again.
PROPOSE_AGAIN_FROM = 3


@dataclass(frozen=True)
class MetBefore:
    expert_id: int
    name: str
    affiliation: str | None
    met_at: datetime
    visit_id: int
    rating: int | None
    follow_up: str | None
    #: Already on this visit's long list (invited or not).
    listed: bool

    @property
    def proposed(self) -> bool:
        """Proposed again unless the fellow rated the meeting poorly or the expert no longer takes asks."""
        return self.rating is None or self.rating >= PROPOSE_AGAIN_FROM

    @property
    def why(self) -> str:
        if self.follow_up:
            return "a follow-up was agreed"
        if self.rating is None:
            return "no rating yet"
        return f"rated {self.rating} of 5" + ("" if self.proposed else ": not proposed again")


def met_before(visit: VisitProgramme) -> list[MetBefore]:
    """Experts the fellow met on an earlier visit (meetings that took place, not cancelled ones), the most
    recent meeting with each, and whether they are on this visit's list already. One statement."""
    listed = select(ExpertInvitation.expert_id).where(
        ExpertInvitation.programme_id == visit.id, ExpertInvitation.expert_id.is_not(None)
    )
    rows = db.session.execute(
        select(
            Expert.id,
            Expert.name,
            Expert.title,
            Expert.department,
            Meeting.starts_at,
            VisitProgramme.id,
            Meeting.rating,
            Meeting.follow_up,
            Expert.id.in_(listed),
        )
        .join(ExpertInvitation, ExpertInvitation.id == Meeting.invitation_id)
        .join(Expert, Expert.id == ExpertInvitation.expert_id)
        .join(VisitProgramme, VisitProgramme.id == Meeting.programme_id)
        .where(
            VisitProgramme.fellow_id == visit.fellow_id,
            VisitProgramme.starts_on < visit.starts_on,
            ExpertInvitation.meeting_cancelled_at.is_(None),
            Expert.do_not_contact.is_(False),
        )
        .order_by(Meeting.starts_at.desc(), Expert.id)
    ).all()
    seen: dict[int, MetBefore] = {}
    for expert_id, name, title, department, met_at, visit_id, rating, follow_up, on_list in rows:
        if expert_id not in seen:  # the most recent meeting with each expert
            affiliation = ", ".join(part for part in (title, department) if part) or None
            seen[expert_id] = MetBefore(
                expert_id, name, affiliation, met_at, visit_id, rating, follow_up, bool(on_list)
            )
    return sorted(seen.values(), key=lambda row: (not row.proposed, row.name))


#: The funnel's stages, in order, with the column headings the visit's page shows.
FUNNEL_STAGES = {
    "invited": "Invited",
    "opened": "Opened the link",
    "answered": "Answered",
    "accepted": "Accepted",
    "declined": "Declined",
    "expired": "Expired unanswered",
    "late": "Answered late",
}


@dataclass(frozen=True)
class FunnelRow:
    #: The policy question, or None for experts invited without one.
    question: str | None
    counts: dict[str, int]


def _stages(invitation: ExpertInvitation) -> list[str]:
    if invitation.invited_at is None:
        return []
    answered = invitation.status in ("accepted", "declined")
    stages = ["invited"]
    stages += ["opened"] if invitation.opened_at or answered else []
    stages += ["answered", invitation.status] if answered else []
    stages += ["expired"] if invitation.status == "expired" else []
    stages += ["late"] if answered and invitation.expired_at else []
    return stages


def funnel(invitations: list[ExpertInvitation]) -> tuple[FunnelRow, list[FunnelRow]]:
    """The invitation funnel of a visit — the whole visit, then one row per question — counted from its
    invitations already at hand (their questions loaded with them), so it costs no query of its own.

    An answer implies the link was opened, even when it was opened before opening was recorded."""
    total = dict.fromkeys(FUNNEL_STAGES, 0)
    by_question: dict[int | None, tuple[str | None, dict[str, int]]] = {}
    for invitation in invitations:
        stages = _stages(invitation)
        if not stages:
            continue
        key = invitation.question_id if invitation.question else None
        label = invitation.question.question if invitation.question else None
        row = by_question.setdefault(key, (label, dict.fromkeys(FUNNEL_STAGES, 0)))[1]
        for stage in stages:
            total[stage] += 1
            row[stage] += 1
    rows = sorted(by_question.items(), key=lambda item: (item[0] is None, item[0] or 0))
    return FunnelRow(None, total), [FunnelRow(label, counts) for _, (label, counts) in rows]


@dataclass(frozen=True)
class QuestionPlan:
    """Where one question with a target stands in the funnel, and how many more experts to invite now."""

    question_id: int
    #: Meetings wanted about the question.
    target: int
    #: Accepted, and their meeting not cancelled.
    accepted: int
    #: Invited and not answered yet (an expired invitation no longer counts).
    waiting: int
    #: On the shortlist, not invited yet, and still contactable: in the order they were added.
    reserve: list[int]
    #: Invitations for the question were sent already (so freed places are filled without asking).
    started: bool
    #: Experts to ask at once for each meeting still wanted, in per cent (the visit's over-invite factor).
    percent: int

    @property
    def to_invite(self) -> int:
        """How many of the reserve to invite now: enough that the meetings still wanted, times the
        over-invite factor, are waiting for an answer (never more than the reserve holds)."""
        still = max(0, self.target - self.accepted)
        wanted = -(-still * self.percent // 100)  # rounded up, in whole numbers
        return max(0, min(len(self.reserve), wanted - self.waiting))


def questions_and_targets(visit: VisitProgramme) -> tuple[list[PolicyQuestion], dict[int, int]]:
    """The fellow's questions (as ``questions_of`` reads them, topics loaded) and {question id: meetings
    wanted} of those with a target, from the same statement, topics joined in (the visit's page counts its
    queries; a fellow has a handful of questions, each with a few topics)."""
    rows = (
        db.session.execute(
            select(PolicyQuestion, VisitTarget.meetings)
            .outerjoin(
                VisitTarget, (VisitTarget.question_id == PolicyQuestion.id) & (VisitTarget.programme_id == visit.id)
            )
            .where(PolicyQuestion.fellow_id == visit.fellow_id)
            .options(joinedload(PolicyQuestion.topics.of_type(Tag)))
            .order_by(PolicyQuestion.id)
        )
        .unique()
        .all()
    )
    questions = [question for question, _ in rows]
    return questions, {question.id: meetings for question, meetings in rows if meetings is not None}


def targets_of(visit_id: int) -> dict[int, int]:
    """{question id: meetings wanted} of a visit's questions that have a target."""
    rows = db.session.execute(
        select(VisitTarget.question_id, VisitTarget.meetings).where(VisitTarget.programme_id == visit_id)
    )
    return {question_id: meetings for question_id, meetings in rows}


def plans(
    visit: VisitProgramme, invitations: list[ExpertInvitation], targets: dict[int, int]
) -> dict[int, QuestionPlan]:
    """{question id: its QuestionPlan} for each question of ``targets``, counted from the visit's invitations at
    hand (their experts loaded with them): no query of its own."""
    found = {}
    for question_id, target in targets.items():
        mine = [i for i in invitations if i.question_id == question_id and i.expert_id is not None]
        found[question_id] = QuestionPlan(
            question_id=question_id,
            target=target,
            accepted=sum(1 for i in mine if i.status == "accepted" and i.meeting_cancelled_at is None),
            waiting=sum(1 for i in mine if i.status == "invited"),
            reserve=[
                i.id for i in sorted(mine, key=lambda i: i.id) if i.status == "listed" and not i.expert.do_not_contact
            ],
            started=any(i.invited_at is not None for i in mine),
            percent=visit.over_invite_percent,
        )
    return found
