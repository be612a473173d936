"""How close in meaning an expert's profile is to a policy question: wordllama, offline.

wordllama (a static embedding model: each token's vector, averaged) ships its 16 MB of weights inside the
PyPI wheel, so nothing is downloaded at run time and nothing leaves the machine. A profile (title,
department, biography) becomes a unit vector of 256 numbers, stored per expert (``ExpertEmbedding``) when
the profile is saved, imported or merged; a question is embedded when a page asks (cached by its text's
hash). Closeness is the cosine of the two vectors, turned into points by ``semantic_points``.

Off — topics and shared words only — when ``MATCHING_SEMANTIC`` is False or wordllama cannot be loaded;
``status()`` then says why, and the visit page shows it.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import numpy as np
from flask import current_app
from sqlalchemy import select

from core.models import utcnow
from extensions import db
from programmes.models import Expert, ExpertEmbedding

DIMENSIONS = 256
#: Points for the closest profiles; a profile at or below FLOOR gets none, at CEILING or above all of them.
SEMANTIC_POINTS = 6.0
FLOOR = 0.12
CEILING = 0.40
#: Below this cosine a profile is not a candidate for its closeness alone.
CANDIDATE_FLOOR = 0.15
#: Questions' vectors kept in memory (a visit page asks for a fellow's few questions again and again).
QUESTION_CACHE = 512
#: Words that show a text is English; a profile of many words and none of these is likely in another language.
ENGLISH = frozenset("the and of in to for on with is are how what can be by from at as or their into".split())
FOREIGN = frozenset(
    "le la les des et du une est pour dans der die das und ist mit für von el los las y en por para del".split()
)


@lru_cache(maxsize=1)
def _loaded():
    """(model, name, None) or (None, None, why not). Loaded once per process (about half a second)."""
    try:
        import wordllama
        from wordllama import WordLlama
    except ImportError as error:
        return None, None, f"wordllama is not installed ({error.name or error})"
    try:
        # The wheel's own folder as the "cache": wordllama 0.4 looks for the tokenizer in the package under a
        # misspelt folder name, and would otherwise try to download a file it ships. Never download.
        model = WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True, dim=DIMENSIONS)
    except Exception as error:  # a broken install must not break the visit page: keywords still work
        return None, None, f"wordllama could not load its model ({error.__class__.__name__}: {error})"
    return model, f"wordllama-{wordllama.__version__}/l2_supercat-{DIMENSIONS}", None


def status() -> str | None:
    """None when semantic matching is on; else the reason it is off, for the page."""
    if not current_app.config.get("MATCHING_SEMANTIC", True):
        return "MATCHING_SEMANTIC is False in this deployment's configuration"
    return _loaded()[2]


def model_name() -> str | None:
    return None if status() else _loaded()[1]


def profile_text(title: str | None, department: str | None, biography: str | None) -> str:
    """What is embedded of a profile: the fields that say what the expert knows (not name, place or email)."""
    return ". ".join(part.strip().rstrip(".") for part in (title, department, biography) if part and part.strip())


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def embed(texts: list[str]) -> np.ndarray:
    """Unit vectors (float32, one row per text); an empty text gets zeros (close to nothing)."""
    vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    filled = [i for i, text in enumerate(texts) if text.strip()]
    if filled:
        found = np.asarray(_loaded()[0].embed([texts[i] for i in filled], norm=True), dtype=np.float32)
        vectors[filled] = np.nan_to_num(found)
    return vectors


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<f4")


_questions: OrderedDict[str, np.ndarray] = OrderedDict()


def question_vectors(texts: list[str]) -> np.ndarray:
    """``embed`` for questions, each text's vector kept (by hash) for the next page that asks."""
    keys = [text_hash(text) for text in texts]
    missing = [text for key, text in zip(keys, texts, strict=True) if key not in _questions]
    if missing:
        for text, vector in zip(missing, embed(missing), strict=True):
            _questions[text_hash(text)] = vector
    for key in keys:
        _questions.move_to_end(key)
    while len(_questions) > QUESTION_CACHE:
        _questions.popitem(last=False)
    return np.stack([_questions[key] for key in keys]) if keys else np.zeros((0, DIMENSIONS), np.float32)


def semantic_points(cosine: float) -> float:
    """0 at ``FLOOR`` or below, ``SEMANTIC_POINTS`` at ``CEILING`` or above, in a straight line between."""
    share = (cosine - FLOOR) / (CEILING - FLOOR)
    return round(SEMANTIC_POINTS * min(max(share, 0.0), 1.0), 1)


def refresh_embeddings(experts: list[Expert]) -> int:
    """Store the embedding of each expert's profile where it is missing, stale or of another model; how many
    profiles were embedded. Profiles whose text has not changed keep their vector (its time moves on only
    if the profile's row changed). A service step (flush, never commit): called by saving, importing and
    merging experts."""
    name = model_name()
    experts = [expert for expert in experts if expert.id is not None]
    if name is None or not experts:
        return 0
    rows = {
        row.expert_id: row
        for row in db.session.scalars(
            select(ExpertEmbedding).where(ExpertEmbedding.expert_id.in_([expert.id for expert in experts]))
        )
    }
    texts = {expert.id: profile_text(expert.title, expert.department, expert.biography) for expert in experts}
    changed = [
        expert_id
        for expert_id, text in texts.items()
        if expert_id not in rows or rows[expert_id].model != name or rows[expert_id].text_hash != text_hash(text)
    ]
    vectors = dict(zip(changed, embed([texts[expert_id] for expert_id in changed]), strict=True))
    now = utcnow()
    by_id = {expert.id: expert for expert in experts}
    for expert_id, text in texts.items():
        row = rows.get(expert_id) or ExpertEmbedding(expert_id=expert_id)
        if expert_id in vectors:
            row.model, row.vector, row.text_hash = name, to_bytes(vectors[expert_id]), text_hash(text)
        # Moved on only when the vector is new or the profile's row changed since (another field edited):
        # saving an unchanged profile writes nothing at all.
        updated = by_id[expert_id].updated_at
        if expert_id in vectors or row.refreshed_at is None or (updated is not None and row.refreshed_at < updated):
            row.refreshed_at = now
        db.session.add(row)
    db.session.flush()
    return len(changed)


def phrases(text: str) -> list[str]:
    """A profile cut where its meaning turns: sentences, then clauses of more than a few words."""
    found = []
    for sentence in re.split(r"(?<=[.!?;])\s+|\n+", text):
        sentence = sentence.strip().rstrip(".;!?").strip()
        if sentence:
            found.append(sentence)
    return found


def closest_phrases(vectors: np.ndarray, texts: list[str]) -> list[str | None]:
    """For each (question vector, profile text) pair, the phrase of the profile closest to the question."""
    cut = [phrases(text) for text in texts]
    flat = [phrase for pieces in cut for phrase in pieces]
    if not flat:
        return [None] * len(texts)
    embedded, start, closest = embed(flat), 0, []
    for vector, pieces in zip(vectors, cut, strict=True):
        if not pieces:
            closest.append(None)
            continue
        block = embedded[start : start + len(pieces)]
        start += len(pieces)
        closest.append(pieces[int(np.argmax(block @ vector))])
    return closest


def profile_notes(profile: str) -> list[str]:
    """Why closeness says little for a profile: it is empty, or not in English."""
    if not profile.strip():
        return ["the profile is empty: only its topics can match"]
    if _foreign(profile):
        return ["the profile seems not to be in English: closeness in meaning is unreliable"]
    return []


def question_notes(question: str) -> list[str]:
    """Why closeness says little for a question: a single word, or not in English."""
    words = re.findall(r"[^\W\d_]+", question)
    if len(words) <= 1:
        return ["the question is a single word, so closeness in meaning says little"]
    if _foreign(question):
        return ["the question seems not to be in English: closeness in meaning is unreliable"]
    return []


def _foreign(text: str) -> bool:
    words = re.findall(r"[^\W\d_]+", text.lower())
    english = sum(word in ENGLISH for word in words)
    foreign = sum(word in FOREIGN for word in words)
    return len(words) >= 5 and foreign >= 2 and foreign > english
