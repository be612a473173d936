"""Reads of rapid response: the questions with their panels' counts, one question with its panel, and the
experts matching proposes for a panel."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from core.models import Tag
from extensions import db
from programmes.experts.matching import Suggestions, suggest_all
from programmes.experts.queries import at_the_cap
from programmes.models import PanelMember, RapidQuestion

#: Experts proposed for a panel.
PROPOSALS = 12


@dataclass
class Listed:
    rapid: RapidQuestion
    panel: int
    asked: int
    answered: int


def questions() -> list[Listed]:
    """Every rapid-response question, the latest deadline first, with its panel's counts (one statement)."""
    counts = (
        select(
            PanelMember.question_id,
            func.count(PanelMember.id).label("panel"),
            func.sum(case((PanelMember.status == "asked", 1), else_=0)).label("asked"),
            func.count(PanelMember.answered_at).label("answered"),
        )
        .group_by(PanelMember.question_id)
        .subquery()
    )
    rows = db.session.execute(
        select(RapidQuestion, counts.c.panel, counts.c.asked, counts.c.answered)
        .outerjoin(counts, counts.c.question_id == RapidQuestion.id)
        .order_by(RapidQuestion.deadline_at.desc(), RapidQuestion.id.desc())
    )
    return [Listed(rapid, panel or 0, asked or 0, answered or 0) for rapid, panel, asked, answered in rows]


def question(rapid_id: int) -> RapidQuestion | None:
    return db.session.scalar(
        select(RapidQuestion)
        .where(RapidQuestion.id == rapid_id)
        .options(
            selectinload(RapidQuestion.topics.of_type(Tag)),
            selectinload(RapidQuestion.panel).selectinload(PanelMember.expert),
        )
    )


def proposals(rapid: RapidQuestion) -> Suggestions:
    """Matching's best experts for the question (topics, words and meaning, each with its reasons), leaving
    out those on the panel already and those asked as often as the term allows."""
    on_panel = select(PanelMember.expert_id).where(
        PanelMember.question_id == rapid.id, PanelMember.expert_id.is_not(None)
    )
    return suggest_all(None, [rapid], PROPOSALS, excluded=on_panel.union(at_the_cap()))


def answers(rapid: RapidQuestion) -> list[PanelMember]:
    """The panel's answers, in the order they came."""
    return sorted((m for m in rapid.panel if m.answered_at is not None), key=lambda m: (m.answered_at, m.id))
