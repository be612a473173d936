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

A visit page asks for every question at once (``suggest_all``): one statement reads the best candidates of
all the questions (a UNION ALL of one limited SELECT per question, with only the columns scoring reads),
one their topics, one the experts finally suggested, so the page's SQL does not grow with its questions.

Semantic matching (``programmes.experts.matching.semantic``, on unless ``MATCHING_SEMANTIC`` is False or wordllama is
missing) adds, to those integer points, up to ``SEMANTIC_POINTS`` for how close in meaning the profile is to
the question (the cosine of their embeddings, 0 points at ``FLOOR`` or below, all at ``CEILING`` or above):

    score = 3 × shared topics + shared words (at most 5) + 6 × clamp((cosine − 0.12) / (0.40 − 0.12), 0, 1)

One more statement reads the vectors of every expert who may be suggested (about 1 KB each); a matrix
product scores them all at once, and the closest ``SEMANTIC_CANDIDATES`` of each question join its
candidates. A suggestion close in meaning names the phrase of the profile closest to the question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import any_, case, func, literal, or_, select, union_all
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import selectinload

from core.models import Tag
from core.search import like_pattern
from extensions import db
from programmes.experts.matching import semantic
from programmes.experts.queries import asks_of, at_the_cap
from programmes.models import Expert, ExpertEmbedding, ExpertInvitation, PolicyQuestion, VisitProgramme, expert_topics

TOPIC_POINTS = 3
MAX_WORD_POINTS = 5
#: Experts scored per question (found by a shared topic or by a word, at most this many are read).
CANDIDATES = 300
SUGGESTIONS_PER_QUESTION = 8
#: Experts closest in meaning to each question that join its candidates, whatever their words.
SEMANTIC_CANDIDATES = 50
STEM = 7
#: Common words that say nothing about expertise.
STOP_WORDS = frozenset(
    """about after again also because been before being between both could does doing during each from
    further have having here into just more most much must other over same should some such than that their
    them then there these they this those through under until very what when where which while will with
    would your policy policies government public people make made making better best""".split()
)


#: A field (an expertise topic) is rare when at most this share of the contactable network has it …
RARE_SHARE = 0.02
#: … or at most this many experts, in a small network.
RARE_HOLDERS = 3


@dataclass
class Suggestion:
    expert: Expert
    #: Topic and word points, plus the semantic points (a tenth of a point) when semantic matching is on.
    score: float
    reasons: list[str] = field(default_factory=list)
    #: How often the expert was asked this term, and ever, and accepted (across every fellow).
    asked_this_term: int = 0
    asked_ever: int = 0
    accepted_ever: int = 0
    #: Suggested beyond the best scores for a field few experts in the network have.
    long_shot: bool = False


class Suggestions(list):
    """``suggest_all``'s (question, suggestions) pairs, with what the page says about how they were made."""

    #: None when semantic matching is on; else why it is off ("semantic matching is off: …").
    note: str | None = None
    #: Per question id, why closeness says little for it (a one-word question).
    question_notes: dict[int, list[str]]


def _distinctive(text: str) -> list[str]:
    """Words of ``text`` of four letters or more that are not common, each once, in order."""
    return [word for word in dict.fromkeys(re.findall(r"[a-z]{4,}", text.lower())) if word not in STOP_WORDS]


def keywords(text: str) -> list[str]:
    """Distinctive words of ``text``, stemmed, each once, in order."""
    return list(dict.fromkeys(word[:STEM] for word in _distinctive(text)))


@dataclass(frozen=True)
class _Asked:
    """What one question asks of a profile, worked out once per question (not once per expert)."""

    question: PolicyQuestion
    topics: frozenset[str]
    #: The stem of each distinctive word.
    words: tuple[str, ...]
    #: The first distinctive words whole, for PostgreSQL's full-text search (which stems them itself).
    whole_words: tuple[str, ...]

    @classmethod
    def of(cls, question: PolicyQuestion) -> _Asked:
        text = f"{question.question} {question.context or ''}"
        topics = frozenset(tag.name for tag in question.topics)
        return cls(question, topics, tuple(keywords(text)), tuple(_distinctive(text)[: MAX_WORD_POINTS * 2]))


@dataclass(frozen=True)
class _Profile:
    """What scoring reads of a candidate."""

    text: str  # title, department and biography, lower-cased
    topics: frozenset[str]


def _score(asked: _Asked, profile: _Profile) -> tuple[int, list[str]]:
    """(points, reasons) of ``profile`` for the question."""
    reasons, points = [], 0
    shared = sorted(asked.topics & profile.topics)
    if shared:
        points += TOPIC_POINTS * len(shared)
        reasons.append("Expertise in " + ", ".join(shared))
    found = [at for at in (profile.text.find(stem) for stem in asked.words) if at >= 0][:MAX_WORD_POINTS]
    if found:
        points += len(found)
        reasons.append("Profile mentions " + ", ".join(f"“{_word_at(profile.text, at)}”" for at in found))
    return points, reasons


def _word_at(text: str, at: int) -> str:
    """The whole word of ``text`` around position ``at`` ("transfo" → "transformation")."""
    start, end = at, at
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    return text[start:end]


def _excluded(visit: VisitProgramme):
    """Experts already on the visit's long list, who declined an earlier invitation from the fellow, or
    who were asked as often as the term allows (``EXPERT_ASKS_PER_TERM``, by any fellow)."""
    on_list = select(ExpertInvitation.expert_id).where(
        ExpertInvitation.programme_id == visit.id, ExpertInvitation.expert_id.is_not(None)
    )
    declined_before = (
        select(ExpertInvitation.expert_id)
        .join(VisitProgramme, VisitProgramme.id == ExpertInvitation.programme_id)
        .where(
            VisitProgramme.fellow_id == visit.fellow_id,
            ExpertInvitation.status == "declined",
            ExpertInvitation.expert_id.is_not(None),
        )
    )
    return on_list.union(declined_before, at_the_cap())


def _full_text(asked: _Asked, postgres: bool):
    """(condition, rank) of PostgreSQL English full-text search of the question's words in the expert's
    profile; None on other databases."""
    if not postgres or not asked.whole_words:
        return None
    query = func.to_tsquery("english", " | ".join(asked.whole_words))
    # The profile's document is stored (``Expert.profile_words``, kept by a trigger): nothing is parsed here.
    return Expert.profile_words.op("@@")(query), func.ts_rank(Expert.profile_words, query)


def _candidates(index: int, asked: _Asked, excluded, postgres: bool, close: list[int]):
    """The ``CANDIDATES`` experts most likely to fit one question (the ``close`` in meaning first, then a shared
    topic, or one of its words in the profile; on PostgreSQL best full-text rank first), as (question index,
    scoring columns, rank)."""
    topic_ids = [tag.id for tag in asked.question.topics]
    conditions = [Expert.id.in_(select(expert_topics.c.expert_id).where(expert_topics.c.tag_id.in_(topic_ids)))]
    rank = literal(0.0)
    full_text = _full_text(asked, postgres)
    if full_text is not None:
        # Before the word patterns: a cheap test on the stored document spares most rows their ILIKEs.
        conditions.append(full_text[0])
        rank = full_text[1]
    patterns = [like_pattern(stem) for stem in asked.words[: MAX_WORD_POINTS * 2]]
    for column in (Expert.title, Expert.biography) if patterns else ():
        if postgres:
            # The same test as ILIKE (the words are lower-case letters), lowering each profile once: ~3x faster.
            conditions.append(func.lower(column).like(any_(postgresql.array(patterns))))
        else:
            conditions += [column.ilike(pattern, escape="\\") for pattern in patterns]
    first = literal(0)
    if close:
        conditions.insert(0, Expert.id.in_(close))
        first = case((Expert.id.in_(close), 1), else_=0)
    best = (
        select(
            literal(index).label("question"),
            Expert.id,
            Expert.name,
            Expert.title,
            Expert.department,
            Expert.biography,
            rank.label("rank"),
        )
        .where(Expert.do_not_contact.is_(False), Expert.id.not_in(excluded), or_(*conditions))
        .order_by(first.desc(), rank.desc(), Expert.name, Expert.id)
        .limit(CANDIDATES)
        .subquery()
    )
    return select(best)


def _closeness(excluded, questions: list[PolicyQuestion]) -> tuple[np.ndarray, dict[int, int]]:
    """(cosines, column of each expert): how close each question (a row) is to every expert who may be
    suggested (a column). One statement: the stored vectors, and the profile of any expert whose vector is
    missing or older than the profile (embedded here, in memory: a GET page writes nothing)."""
    name = semantic.model_name()
    stale = or_(
        ExpertEmbedding.expert_id.is_(None),
        ExpertEmbedding.model != name,
        ExpertEmbedding.refreshed_at < Expert.updated_at,
    )
    rows = db.session.execute(
        select(
            Expert.id,
            case((stale, None), else_=ExpertEmbedding.vector).label("vector"),
            *(case((stale, column), else_=None).label(column.key) for column in profile_columns()),
        )
        .outerjoin(ExpertEmbedding, ExpertEmbedding.expert_id == Expert.id)
        .where(Expert.do_not_contact.is_(False), Expert.id.not_in(excluded))
    ).all()
    matrix = np.zeros((len(rows), semantic.DIMENSIONS), dtype=np.float32)
    late = []
    for at, row in enumerate(rows):
        if row.vector is None:
            late.append(at)
        else:
            matrix[at] = semantic.from_bytes(row.vector)
    if late:
        texts = [semantic.profile_text(rows[at].title, rows[at].department, rows[at].biography) for at in late]
        matrix[late] = semantic.embed(texts)
    asked = semantic.question_vectors([f"{q.question} {q.context or ''}".strip() for q in questions])
    return asked @ matrix.T, {row.id: at for at, row in enumerate(rows)}


def profile_columns():
    return (Expert.title, Expert.department, Expert.biography)


def _with_rarity(statement):
    """The statement that reads candidates' topics, with two more columns: how many contactable experts hold
    the row's topic, and how many contactable experts there are, so knowing which fields are rare costs no
    statement of its own. The holders are counted once per topic in a grouped subquery joined in (counted
    once per row by a correlated subquery, this took 1.7 s for 5,000 experts on PostgreSQL)."""
    contactable = Expert.do_not_contact.is_(False)
    held = expert_topics.alias("held")
    holders = (
        select(held.c.tag_id, func.count().label("holders"))
        .join(Expert, Expert.id == held.c.expert_id)
        .where(contactable)
        .group_by(held.c.tag_id)
        .subquery("holders")
    )
    network = select(func.count(Expert.id)).where(contactable).scalar_subquery()
    return statement.outerjoin(holders, holders.c.tag_id == Tag.id).add_columns(
        func.coalesce(holders.c.holders, 0).label("holders"), network.label("network")
    )


def _is_rare(holders: int, network: int) -> bool:
    """A field held by at most ``RARE_SHARE`` of the contactable network, or ``RARE_HOLDERS`` experts."""
    return holders <= max(RARE_HOLDERS, int(network * RARE_SHARE))


def _long_shots(scored: list[tuple], profiles: dict[int, _Profile], rare: dict[str, int], count: int) -> list[tuple]:
    """Up to ``count`` of ``scored`` (those beyond the best) with a rare field: rarest field first, then score;
    each says why it is there."""
    shots = []
    for item in scored:
        fields = sorted((rare[topic], topic) for topic in profiles[item[3]].topics if topic in rare)
        if fields:
            shots.append((fields[0], item))
    shots.sort(key=lambda pair: (pair[0][0], -pair[1][0], pair[1][2], pair[1][3]))
    picked = []
    for (holders, topic), item in shots[:count]:
        others = "the only expert" if holders == 1 else f"one of {holders} experts"
        item[4].insert(0, f"Long shot: {others} in the network with expertise in {topic}")
        picked.append(item)
    return picked


def suggest_all(
    visit: VisitProgramme | None,
    questions: list,
    limit: int = SUGGESTIONS_PER_QUESTION,
    *,
    long_shots: int = 0,
    excluded=None,
) -> Suggestions:
    """The best-scoring experts (score above zero) for each of ``questions``, best first; ties by full-text
    rank on PostgreSQL, then by name. Then up to ``long_shots`` more per question: experts with weaker scores
    (above zero) but a field few in the network have. Three statements however many questions (four with
    semantic matching): the candidates of every question (one UNION ALL), their topics (with how many in the
    network hold each, for long shots), and the experts finally suggested.

    A question is anything with ``id``, ``question``, ``context`` and ``topics`` (a policy question, a
    rapid-response question). ``excluded`` (a SELECT of expert ids) replaces the visit's exclusions
    (``_excluded``) where there is no visit: a rapid-response panel passes its members and those asked as
    often as the term allows."""
    found = Suggestions()
    found.question_notes = {}
    off = semantic.status()
    found.note = f"semantic matching is off: {off}" if off else None
    if not questions:
        return found
    postgres = db.session.get_bind().dialect.name == "postgresql"
    asked = [_Asked.of(question) for question in questions]
    excluded = _excluded(visit) if excluded is None else excluded
    cosines, column = (None, {}) if off else _closeness(excluded, questions)
    close = [[] for _ in questions]
    if cosines is not None and cosines.shape[1]:
        ids = np.array(list(column), dtype=np.int64)
        for index, row in enumerate(cosines):
            top = np.argsort(-row, kind="stable")[:SEMANTIC_CANDIDATES]
            close[index] = [int(ids[at]) for at in top if row[at] > semantic.CANDIDATE_FLOOR]
    branches = [_candidates(index, one, excluded, postgres, close[index]) for index, one in enumerate(asked)]
    rows = db.session.execute(branches[0] if len(branches) == 1 else union_all(*branches)).all()

    ids = {row.id for row in rows}
    topics: dict[int, set[str]] = {expert_id: set() for expert_id in ids}
    rare: dict[str, int] = {}  # {rare topic: experts holding it}, read only when long shots are wanted
    if ids:
        statement = (
            select(expert_topics.c.expert_id, Tag.name)
            .join(Tag, Tag.id == expert_topics.c.tag_id)
            .where(expert_topics.c.expert_id.in_(ids))
        )
        for row in db.session.execute(_with_rarity(statement) if long_shots else statement):
            topics[row[0]].add(row[1])
            if long_shots and _is_rare(row[2], row[3]):
                rare[row[1]] = row[2]
    texts = {row.id: semantic.profile_text(row.title, row.department, row.biography) for row in rows}
    profiles = {row.id: _Profile(texts[row.id].lower(), frozenset(topics[row.id])) for row in rows}

    chosen = []  # per question: (score, rank, name, expert id, reasons, semantic points), best first
    shots = []  # per question: the long shots, in the same form
    for index, one in enumerate(asked):
        scored = []
        for row in rows:
            if row.question == index:
                points, reasons = _score(one, profiles[row.id])
                near = 0.0
                if cosines is not None and row.id in column:
                    near = semantic.semantic_points(float(cosines[index, column[row.id]]))
                if points + near > 0:
                    scored.append((points + near, float(row.rank or 0), row.name, row.id, reasons, near))
        scored.sort(key=lambda item: (-item[0], -item[1], item[2], item[3]))
        chosen.append(scored[:limit])
        shots.append(_long_shots(scored[limit:], profiles, rare, long_shots) if rare else [])
    if cosines is not None:
        _explain(questions, [best + more for best, more in zip(chosen, shots, strict=True)], texts)
        found.question_notes = {q.id: semantic.question_notes(q.question) for q in questions}

    wanted = {item[3] for picks in chosen + shots for item in picks}
    experts = {}  # expert id: (expert, asked this term, asked ever, accepted ever)
    if wanted:
        statement = select(Expert, *asks_of(Expert.id)).where(Expert.id.in_(wanted))
        experts = {row[0].id: tuple(row) for row in db.session.execute(statement)}

    def suggestion(item, long_shot: bool = False) -> Suggestion:
        expert, this_term, ever, accepted = experts[item[3]]
        return Suggestion(expert, _shown(item[0]), item[4], this_term, ever, accepted, long_shot)

    found += [
        (question, [suggestion(item) for item in picks] + [suggestion(item, True) for item in more])
        for question, picks, more in zip(questions, chosen, shots, strict=True)
    ]
    return found


def _shown(score: float) -> float:
    return int(score) if float(score).is_integer() else round(score, 1)


def _explain(questions: list[PolicyQuestion], chosen: list[list[tuple]], texts: dict[int, str]) -> None:
    """Add to each suggestion close in meaning the phrase of its profile closest to the question, and why
    closeness says little where it does (an empty or foreign profile)."""
    pairs = [(index, item) for index, picks in enumerate(chosen) for item in picks]
    close = [(index, item) for index, item in pairs if item[5] > 0]
    if close:
        vectors = semantic.question_vectors([questions[index].question for index, _ in close])
        phrases = semantic.closest_phrases(vectors, [texts[item[3]] for _, item in close])
        for (_, item), phrase in zip(close, phrases, strict=True):
            if phrase:
                item[4].append(f"Close in meaning to “{_quoted(phrase)}” (+{item[5]:g})")
    for _, item in pairs:
        item[4].extend(reason[0].upper() + reason[1:] for reason in semantic.profile_notes(texts[item[3]]))


def _quoted(phrase: str, most: int = 90) -> str:
    return phrase if len(phrase) <= most else phrase[: most - 1].rsplit(" ", 1)[0] + "…"


def suggest(visit: VisitProgramme, question: PolicyQuestion, limit: int = SUGGESTIONS_PER_QUESTION) -> list[Suggestion]:
    """``suggest_all`` for one question."""
    return suggest_all(visit, [question], limit)[0][1]


def questions_of(visit: VisitProgramme) -> list[PolicyQuestion]:
    return list(
        db.session.scalars(
            select(PolicyQuestion)
            .where(PolicyQuestion.fellow_id == visit.fellow_id)
            .options(selectinload(PolicyQuestion.topics.of_type(Tag)))
            .order_by(PolicyQuestion.id)
        )
    )
