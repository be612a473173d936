"""Themes for workshops and the annual conference: every current fellow's policy questions, clustered.

Two questions are alike by the cosine of their embeddings (the matching model,
``programmes.experts.matching.semantic``) plus ``TOPIC_BONUS`` when they share a topic. Clustering is
average-linkage agglomeration: the two groups whose questions are most alike on average merge, until no
two groups are alike by at least ``THRESHOLD``. Without the model, likeness is shared topics alone. A group
is proposed as a theme when it holds the questions of at least ``MIN_FELLOWS`` fellows; its label is the
topic most of its questions carry (else its most central question), and matching proposes the experts who
fit the group's questions taken together.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from sqlalchemy import false, select
from sqlalchemy.orm import selectinload

from core.models import Tag
from extensions import db
from fellows.models import User
from programmes.experts.matching import Suggestion, semantic, suggest_all
from programmes.models import Appointment, Expert, PolicyQuestion

#: How alike two groups' questions must be, on average, to merge (cosine plus the topic bonus).
THRESHOLD = 0.32
#: Added to the likeness of two questions that share a topic.
TOPIC_BONUS = 0.15
#: A theme needs the questions of this many fellows (a workshop of one is a meeting).
MIN_FELLOWS = 2
#: Experts proposed per theme.
EXPERTS = 5


@dataclass
class Theme:
    label: str
    questions: list[PolicyQuestion]
    topics: list[str]
    fellows: list[User] = field(default_factory=list)
    experts: list[Suggestion] = field(default_factory=list)

    @property
    def brief(self) -> str:
        """The theme as an event description starts: the questions it gathers, unattributed."""
        return "Questions this workshop takes up:\n\n" + "\n".join(f"- {q.question}" for q in self.questions)


@dataclass(frozen=True)
class _Asked:
    """A theme's questions taken together, as matching reads a question."""

    id: int
    question: str
    context: str
    topics: list[Tag]


@dataclass
class Themes:
    themes: list[Theme]
    #: Current fellows' questions considered, and the note when the model is off.
    considered: int
    note: str | None


def current_questions(today: date) -> list[PolicyQuestion]:
    """The questions of fellows whose tenure covers ``today``, with their topics and fellows."""
    current = select(Appointment.fellow_id).where(Appointment.starts_on <= today, Appointment.ends_on >= today)
    return list(
        db.session.scalars(
            select(PolicyQuestion)
            .join(User, User.id == PolicyQuestion.fellow_id)
            .where(PolicyQuestion.fellow_id.in_(current), User.active.is_(True))
            .options(selectinload(PolicyQuestion.topics.of_type(Tag)), selectinload(PolicyQuestion.fellow))
            .order_by(PolicyQuestion.id)
        )
    )


def likeness(questions: list[PolicyQuestion], vectors: np.ndarray | None) -> np.ndarray:
    """The matrix of how alike each pair of questions is."""
    topics = [{tag.id for tag in q.topics} for q in questions]
    shared = np.array([[1.0 if a & b else 0.0 for b in topics] for a in topics], dtype=np.float32)
    if vectors is None:
        return shared
    return vectors @ vectors.T + TOPIC_BONUS * shared


def clusters(alike: np.ndarray, threshold: float) -> list[list[int]]:
    """Average-linkage groups of the indices of ``alike`` (a symmetric matrix), largest first."""
    groups = [[i] for i in range(len(alike))]
    while len(groups) > 1:
        best, pair = threshold, None
        for a in range(len(groups)):
            rows = alike[groups[a]]
            for b in range(a + 1, len(groups)):
                link = float(rows[:, groups[b]].mean())
                if link >= best:
                    best, pair = link, (a, b)
        if pair is None:
            break
        a, b = pair
        groups[a] = groups[a] + groups.pop(b)
    return sorted(groups, key=lambda g: (-len(g), g[0]))


def _label(members: list[PolicyQuestion], alike: np.ndarray, indices: list[int]) -> tuple[str, list[str]]:
    counts = Counter(tag.name for q in members for tag in q.topics)
    topics = [name for name, _ in counts.most_common()]
    if topics and counts[topics[0]] * 2 >= len(members):
        return topics[0], topics
    central = members[int(np.argmax(alike[np.ix_(indices, indices)].sum(axis=1)))]
    text = central.question if len(central.question) <= 80 else central.question[:79].rsplit(" ", 1)[0] + "…"
    return f"Questions like “{text}”", topics


def build(today: date) -> Themes:
    """The themes of today's fellows' questions, with the fellows and the experts who fit each."""
    questions = current_questions(today)
    off = semantic.status()
    note = f"semantic matching is off: {off}" if off else None
    if len(questions) < MIN_FELLOWS:
        return Themes([], len(questions), note)
    vectors = None if off else semantic.question_vectors([f"{q.question} {q.context or ''}".strip() for q in questions])
    alike = likeness(questions, vectors)
    threshold = THRESHOLD if vectors is not None else 0.5
    themes = []
    for indices in clusters(alike, threshold):
        members = [questions[i] for i in indices]
        fellows = list({q.fellow_id: q.fellow for q in members}.values())
        if len(fellows) < MIN_FELLOWS:
            continue
        label, topics = _label(members, alike, indices)
        themes.append(Theme(label, members, topics, sorted(fellows, key=lambda f: f.name)))
    _add_experts(themes)
    return Themes(themes, len(questions), note)


def _add_experts(themes: list[Theme]) -> None:
    """Matching's best experts for each theme's questions taken together (one call for every theme)."""
    if not themes:
        return
    asked = [
        _Asked(
            -n,
            " ".join(q.question for q in theme.questions),
            "",
            list({tag.id: tag for q in theme.questions for tag in q.topics}.values()),
        )
        for n, theme in enumerate(themes, 1)
    ]
    nobody = select(Expert.id).where(false())
    for theme, (_, found) in zip(themes, suggest_all(None, asked, EXPERTS, excluded=nobody), strict=True):
        theme.experts = found
