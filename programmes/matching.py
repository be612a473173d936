"""Suggesting experts for a fellow's policy questions, with a score that explains itself.

For each question, an expert scores ``TOPIC_POINTS`` for each topic the question and the expert's
expertise share, and one point for each distinctive word of the question (and its background) found
in the expert's title, department or biography (at most ``MAX_WORD_POINTS``). The reasons behind the
points are shown with the suggestion. The points are worked out the same way on both databases (stems
approximated by the first seven letters: "transforming" finds "transformation"). On PostgreSQL,
English full-text search also finds candidates by their stemmed words, and its ranking (``ts_rank``)
orders experts with equal points; SQLite orders them by name.

Never suggested: experts marked do-not-contact, experts already on this visit's long list, and experts
who declined an earlier invitation to meet the same fellow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import any_, func, literal, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import selectinload

from core.models import Tag
from core.search import like_pattern
from extensions import db
from programmes.models import Expert, ExpertInvitation, PolicyQuestion, VisitProgramme, expert_topics

TOPIC_POINTS = 3
MAX_WORD_POINTS = 5
#: Experts scored per question (found by a shared topic or by a word, at most this many are read).
CANDIDATES = 300
SUGGESTIONS_PER_QUESTION = 8
STEM = 7
#: Common words that say nothing about expertise.
STOP_WORDS = frozenset(
    """about after again also because been before being between both could does doing during each from
    further have having here into just more most much must other over same should some such than that their
    them then there these they this those through under until very what when where which while will with
    would your policy policies government public people make made making better best""".split()
)


@dataclass
class Suggestion:
    expert: Expert
    score: int
    reasons: list[str] = field(default_factory=list)


def keywords(text: str) -> list[str]:
    """Distinctive words of ``text``: four letters or more, not common, stemmed, each once, in order."""
    seen: dict[str, None] = {}
    for word in re.findall(r"[a-z]{4,}", text.lower()):
        if word not in STOP_WORDS:
            seen.setdefault(word[:STEM])
    return list(seen)


def _excluded_expert_ids(visit: VisitProgramme) -> set[int]:
    on_list = select(ExpertInvitation.expert_id).where(ExpertInvitation.programme_id == visit.id)
    declined_before = (
        select(ExpertInvitation.expert_id)
        .join(VisitProgramme, VisitProgramme.id == ExpertInvitation.programme_id)
        .where(VisitProgramme.fellow_id == visit.fellow_id, ExpertInvitation.status == "declined")
    )
    rows = db.session.scalars(on_list.union(declined_before))
    return {expert_id for expert_id in rows if expert_id is not None}


def score(question: PolicyQuestion, expert: Expert) -> Suggestion:
    """How well ``expert`` fits ``question``, and why."""
    reasons, points = [], 0
    shared = sorted({tag.name for tag in question.topics} & {tag.name for tag in expert.topics})
    if shared:
        points += TOPIC_POINTS * len(shared)
        reasons.append("Expertise in " + ", ".join(shared))
    profile = " ".join(filter(None, [expert.title, expert.department, expert.biography])).lower()
    found = [word for word in keywords(f"{question.question} {question.context or ''}") if word in profile]
    found = found[:MAX_WORD_POINTS]
    if found:
        points += len(found)
        words = [re.search(rf"\b\w*{re.escape(word)}\w*", profile).group(0) for word in found]
        reasons.append("Profile mentions " + ", ".join(f"“{word}”" for word in words))
    return Suggestion(expert, points, reasons)


def _full_text(question: PolicyQuestion):
    """(condition, rank) of PostgreSQL English full-text search of the question's words in the expert's
    profile; None on other databases."""
    if db.session.get_bind().dialect.name != "postgresql":
        return None
    words = re.findall(r"[a-z]{4,}", f"{question.question} {question.context or ''}".lower())
    words = [word for word in dict.fromkeys(words) if word not in STOP_WORDS][: MAX_WORD_POINTS * 2]
    if not words:
        return None
    query = func.to_tsquery("english", " | ".join(words))
    # The profile's document is stored (``Expert.profile_words``, kept by a trigger): nothing is parsed here.
    return Expert.profile_words.op("@@")(query), func.ts_rank(Expert.profile_words, query)


def suggest(
    visit: VisitProgramme,
    question: PolicyQuestion,
    limit: int = SUGGESTIONS_PER_QUESTION,
    *,
    excluded: set[int] | None = None,
) -> list[Suggestion]:
    """The best-scoring experts for ``question`` (score above zero), best first; ties by full-text rank on
    PostgreSQL, then by name. ``excluded`` (the visit's long list and those who declined the fellow before)
    is read when not given: ``suggest_all`` reads it once for all the questions of a visit."""
    words = keywords(f"{question.question} {question.context or ''}")[: MAX_WORD_POINTS * 2]
    topic_ids = [tag.id for tag in question.topics]
    conditions = [Expert.id.in_(select(expert_topics.c.expert_id).where(expert_topics.c.tag_id.in_(topic_ids)))]
    rank = literal(0.0)
    full_text = _full_text(question)
    if full_text is not None:
        # Before the word patterns: a cheap test on the stored document spares most rows their ILIKEs.
        conditions.append(full_text[0])
        rank = full_text[1]
    patterns = [like_pattern(word) for word in words]
    postgres = db.session.get_bind().dialect.name == "postgresql"
    for column in (Expert.title, Expert.biography) if patterns else ():
        if postgres:
            # The same test as ILIKE (the words are lower-case letters), lowering each profile once: ~3x faster.
            conditions.append(func.lower(column).like(any_(postgresql.array(patterns))))
        else:
            conditions += [column.ilike(pattern, escape="\\") for pattern in patterns]
    if excluded is None:
        excluded = _excluded_expert_ids(visit)
    candidates = db.session.execute(
        select(Expert, rank)
        .where(Expert.do_not_contact.is_(False), or_(*conditions))
        .options(selectinload(Expert.topics))
        .order_by(rank.desc(), Expert.name, Expert.id)
        .limit(CANDIDATES)
    ).all()
    ranks = {expert.id: float(value or 0) for expert, value in candidates}
    scored = [score(question, expert) for expert, _ in candidates if expert.id not in excluded]
    scored = [suggestion for suggestion in scored if suggestion.score > 0]
    scored.sort(key=lambda s: (-s.score, -ranks[s.expert.id], s.expert.name, s.expert.id))
    return scored[:limit]


def suggest_all(
    visit: VisitProgramme, questions: list[PolicyQuestion]
) -> list[tuple[PolicyQuestion, list[Suggestion]]]:
    """``suggest`` for each of ``questions``, with the experts to leave out read once for them all."""
    excluded = _excluded_expert_ids(visit)
    return [(question, suggest(visit, question, excluded=excluded)) for question in questions]


def questions_of(visit: VisitProgramme) -> list[PolicyQuestion]:
    return list(
        db.session.scalars(
            select(PolicyQuestion)
            .where(PolicyQuestion.fellow_id == visit.fellow_id)
            .options(selectinload(PolicyQuestion.topics.of_type(Tag)))
            .order_by(PolicyQuestion.id)
        )
    )
