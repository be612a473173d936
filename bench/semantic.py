"""Issue 26: how well expert matching finds the right people, and how fast semantic matching scores a network.

Quality: the hand-judged set ``tests/programmes/data/matching_set.json`` (30 policy questions, 300 expert
profiles, the relevant experts of each question written in other words than the question's) is loaded into
a database and every question asked through ``suggest_all``, once with keywords only and once combined with
semantic closeness; recall@5 and nDCG@10 are averaged over the questions. Speed: one question against
5,000 experts' stored vectors (a numpy matrix product), timed apart from the database.

``python -m bench.semantic`` prints the table; ``--write`` puts it into docs/BENCHMARKS.md (section 10).
``make bench`` adds the same section to the document it writes.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

SET = ROOT / "tests" / "programmes" / "data" / "matching_set.json"
HEADING = "## 10. Issue 26: semantic matching"


def recall_at(ranked: list[str], relevant: set[str], k: int = 5) -> float:
    """Share of the relevant experts found in the first ``k`` (out of at most ``k`` that could be)."""
    return len(set(ranked[:k]) & relevant) / min(k, len(relevant)) if relevant else 0.0


def ndcg_at(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    """Normalised discounted cumulative gain of the first ``k``, each relevant expert worth 1."""
    gain = sum(1 / math.log2(at + 2) for at, key in enumerate(ranked[:k]) if key in relevant)
    ideal = sum(1 / math.log2(at + 2) for at in range(min(k, len(relevant))))
    return gain / ideal if ideal else 0.0


def labelled_set() -> dict:
    return json.loads(SET.read_text(encoding="utf-8"))


def load(data: dict) -> tuple[int, dict[str, int], dict[str, int]]:
    """Put the set into the current app's database: (visit id, question key → id, expert key → id).
    Experts' embeddings are stored as saving them would (``refresh_embeddings``). Commits."""
    from core.models import Tag, slugify
    from extensions import db
    from fellows.models import User
    from programmes.experts.matching.semantic import refresh_embeddings
    from programmes.models import Expert, PolicyQuestion, VisitProgramme

    tags: dict[str, Tag] = {}

    def tag(name: str) -> Tag:
        return tags.setdefault(name, Tag(name=name, slug=slugify(name)))

    fellow = User(email="set.fellow@example.org", role="fellow", name="Set Fellow", visibility="fellows")
    db.session.add(fellow)
    experts = {}
    for row in data["experts"]:
        expert = Expert(
            name=row["name"],
            email=f"{row['id']}@set.example",
            title=row["title"],
            department=row["department"],
            biography=row["biography"],
            meeting_mode="in_person",
            topics=[tag(name) for name in row["topics"]],
        )
        db.session.add(expert)
        experts[row["id"]] = expert
    questions = {}
    for row in data["questions"]:
        question = PolicyQuestion(fellow=fellow, question=row["question"], topics=[tag(n) for n in row["topics"]])
        db.session.add(question)
        questions[row["id"]] = question
    start = date.today() + timedelta(days=30)
    visit = VisitProgramme(fellow=fellow, starts_on=start, ends_on=start + timedelta(days=4))
    db.session.add(visit)
    db.session.flush()
    refresh_embeddings(list(experts.values()))
    db.session.commit()
    return visit.id, {k: q.id for k, q in questions.items()}, {k: e.id for k, e in experts.items()}


@dataclass
class Quality:
    recall_at_5: float
    ndcg_at_10: float


def evaluate(app, data: dict, ids: tuple[int, dict[str, int], dict[str, int]], semantic: bool) -> Quality:
    """Average recall@5 and nDCG@10 over the set's questions, with semantic matching on or off."""
    from extensions import db
    from programmes.experts.matching import questions_of, suggest_all
    from programmes.models import VisitProgramme

    visit_id, question_ids, expert_ids = ids
    key_of = {value: key for key, value in expert_ids.items()}
    relevant = {question_ids[row["id"]]: set(row["relevant"]) for row in data["questions"]}
    app.config["MATCHING_SEMANTIC"] = semantic
    with app.app_context():
        visit = db.session.get(VisitProgramme, visit_id)
        found = suggest_all(visit, questions_of(visit), limit=10)
        rankings = {question.id: [key_of[s.expert.id] for s in picks] for question, picks in found}
    return Quality(
        statistics.mean(recall_at(rankings[q], relevant[q]) for q in relevant),
        statistics.mean(ndcg_at(rankings[q], relevant[q]) for q in relevant),
    )


def time_5000(runs: int = 20) -> tuple[float, float]:
    """(median ms, embedding ms): one new question scored against 5,000 stored vectors, best 50 picked."""
    from programmes.experts.matching import semantic

    rng = np.random.default_rng(26)
    stored = [semantic.to_bytes(v / np.linalg.norm(v)) for v in rng.normal(size=(5000, semantic.DIMENSIONS))]
    times, embedding = [], []
    for n in range(runs):
        started = time.perf_counter()
        matrix = np.frombuffer(b"".join(stored), dtype="<f4").reshape(len(stored), semantic.DIMENSIONS)
        middle = time.perf_counter()
        vector = semantic.embed([f"How can loneliness among older people be reduced? ({n})"])[0]
        embedded = time.perf_counter()
        cosines = matrix @ vector
        np.argpartition(-cosines, 50)[:50]
        times.append((time.perf_counter() - started) * 1000)
        embedding.append((embedded - middle) * 1000)
    return statistics.median(times), statistics.median(embedding)


def time_page_5000(app, ids: tuple[int, dict[str, int], dict[str, int]], runs: int = 5) -> float:
    """Median ms of ``suggest`` (the database included) for one question, the network grown to 5,000 experts
    (copies of the set's profiles, their vectors stored)."""
    from extensions import db
    from programmes.experts.matching import questions_of, suggest
    from programmes.experts.matching.semantic import refresh_embeddings
    from programmes.models import Expert, VisitProgramme

    with app.app_context():
        model = db.session.scalars(select_experts()).all()
        copies = [
            Expert(name=f"{e.name} {n}", email=f"copy{n}@set.example", title=e.title, biography=e.biography)
            for n, e in zip(range(5000 - len(model)), itertools.cycle(model))
        ]
        db.session.add_all(copies)
        db.session.flush()
        refresh_embeddings(copies)
        db.session.commit()
        visit = db.session.get(VisitProgramme, ids[0])
        question = questions_of(visit)[0]
        suggest(visit, question)  # warm-up
        times = []
        for _ in range(runs):
            db.session.expire_all()
            started = time.perf_counter()
            suggest(visit, question)
            times.append((time.perf_counter() - started) * 1000)
        assert db.session.query(Expert).count() == 5000
    return statistics.median(times)


def select_experts():
    from sqlalchemy import select

    from programmes.models import Expert

    return select(Expert).order_by(Expert.id)


def measure() -> dict:
    """Every figure of the section, on a throwaway SQLite database."""
    from bench.inprocess import make_app
    from extensions import db

    data = labelled_set()
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(f"sqlite:///{folder}/set.sqlite")
        with app.app_context():
            db.create_all()
            ids = load(data)
        keyword = evaluate(app, data, ids, semantic=False)
        combined = evaluate(app, data, ids, semantic=True)
        page_ms = time_page_5000(app, ids)
        with app.app_context():
            median_ms, embed_ms = time_5000()
            db.session.remove()
            db.engine.dispose()
    figures = {"data": data, "keyword": keyword, "combined": combined}
    return figures | {"ms": median_ms, "embed_ms": embed_ms, "page_ms": page_ms}


def section(figures: dict | None = None) -> str:
    figures = figures or measure()
    data, keyword, combined = figures["data"], figures["keyword"], figures["combined"]
    return "\n".join(
        [
            HEADING,
            "",
            f"The hand-judged set: {len(data['questions'])} policy questions, {len(data['experts'])} expert profiles"
            " (`tests/programmes/data/matching_set.json`), every question asked through `suggest_all`.",
            "",
            "| matching | recall@5 | nDCG@10 |",
            "| --- | ---: | ---: |",
            f"| topics and words only | {keyword.recall_at_5:.3f} | {keyword.ndcg_at_10:.3f} |",
            f"| combined with semantic closeness | {combined.recall_at_5:.3f} | {combined.ndcg_at_10:.3f} |",
            "",
            f"One question against 5,000 experts' stored vectors: {figures['ms']:.1f} ms (median of 20: the"
            f" vectors into a matrix, the question embedded ({figures['embed_ms']:.1f} ms), a matrix product and"
            " the best 50 picked). With the database (SQLite): one question's suggestions among 5,000 experts"
            f" — their vectors read, candidates scored and explained — {figures['page_ms']:.0f} ms (median of 5).",
            "",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="replace section 10 of docs/BENCHMARKS.md")
    text = section()
    print(text)
    if parser.parse_args().write:
        path = ROOT / "docs" / "BENCHMARKS.md"
        document = path.read_text(encoding="utf-8")
        before, _, after = document.partition(HEADING)
        rest = after[after.find("\n## ") + 1 :] if after and "\n## " in after else ""
        if not after:  # no section yet: it goes before the goals not met, or at the end
            before, marker, rest = document.partition("## Goals not met")
            rest = marker + rest
        path.write_text(before.rstrip("\n") + "\n\n" + text + "\n" + rest, encoding="utf-8")
        print(f"Written to {path}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
