"""Issue 10's figures: ranking every expert for one policy question (programmes.matching.suggest), and
the CP-SAT solver placing 30 meetings among 60 experts who accepted, over a five-day visit
(programmes.timetable.solve)."""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass
from datetime import date, timedelta

from flask import Flask
from sqlalchemy import func, select

from bench.scale import Scaled
from bench.scale_programmes import BUILDINGS
from extensions import db
from programmes.experts.matching import suggest
from programmes.models import Expert, PolicyQuestion, VisitProgramme
from programmes.visits.timetable.solver import Day, Request, solve


@dataclass
class Matching:
    experts: int
    median_ms: float
    suggestions: int


def matching(app: Flask, scaled: Scaled, runs: int = 5) -> Matching:
    with app.app_context():
        visit = db.session.get(VisitProgramme, scaled.visit_id)
        question = db.session.get(PolicyQuestion, scaled.question_id)
        experts = db.session.scalar(select(func.count(Expert.id)))
        found = suggest(visit, question)  # warm-up
        times = []
        for _ in range(runs):
            db.session.expire_all()
            started = time.perf_counter()
            found = suggest(visit, question)
            times.append((time.perf_counter() - started) * 1000)
        db.session.remove()
    return Matching(experts, statistics.median(times), len(found))


@dataclass
class Solving:
    requests: int
    median_ms: float
    placed: int
    status: str
    runs: int


def timetable(runs: int = 3, seed: int = 10) -> Solving:
    """60 experts who accepted, each offering 2–5 of the ten half-days, in 14 buildings (some online):
    at most 6 meetings a day fit, so 30 is the most that can be placed."""
    rng = random.Random(seed)
    monday = date(2027, 3, 1)
    days = [Day(monday + timedelta(days=n), 9 * 60, 17 * 60 + 30, 12 * 60 + 30, 13 * 60 + 30) for n in range(5)]
    halves = [(day.day, half) for day in days for half in ("am", "pm")]
    travel = {frozenset(pair): rng.choice([5, 10, 15, 20]) for pair in zip(BUILDINGS, BUILDINGS[1:], strict=False)}
    requests = [
        Request(
            key=n,
            name=f"Expert {n}",
            place=None if rng.random() < 0.2 else rng.choice(BUILDINGS),
            half_days=frozenset(rng.sample(halves, rng.randint(2, 5))),
        )
        for n in range(60)
    ]
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = solve(days, requests, length=45, max_per_day=6, travel=travel)
        times.append((time.perf_counter() - started) * 1000)
    return Solving(len(requests), statistics.median(times), len(result.placed), result.status, runs)


@dataclass
class Repairing:
    meetings: int
    repair_ms: float
    resolve_ms: float
    moved: int
    runs: int

    @property
    def ratio(self) -> float:
        return self.repair_ms / self.resolve_ms if self.resolve_ms else 0.0


def repair(runs: int = 3, seed: int = 11) -> Repairing:
    """A 30-meeting week (30 experts, each offering 3–5 half-days, at most 8 a day) is built; then one
    meeting is cancelled and one expert's half-days shrink. Repair (the current placement as the hint, moves
    penalised) against a full re-solve of the same changed week (no current placement), medians of ``runs``."""
    rng = random.Random(seed)
    monday = date(2027, 3, 1)
    days = [Day(monday + timedelta(days=n), 9 * 60, 17 * 60 + 30, 12 * 60 + 30, 13 * 60 + 30) for n in range(5)]
    halves = [(day.day, half) for day in days for half in ("am", "pm")]
    requests = [
        Request(n, f"Expert {n}", rng.choice([None, *BUILDINGS[:4]]), frozenset(rng.sample(halves, rng.randint(3, 5))))
        for n in range(30)
    ]
    built = solve(days, requests, length=45, max_per_day=8)
    current = {p.key: (p.day, p.start) for p in built.placed}
    cancelled, shrunk = built.placed[0].key, built.placed[-1].key
    changed = []
    for r in requests:
        if r.key == cancelled:
            continue
        offered = r.half_days
        if r.key == shrunk:
            offered = frozenset(h for h in r.half_days if h[0] != current[r.key][0]) or frozenset({halves[-1]})
        changed.append(Request(r.key, r.name, r.place, offered))
    hinted = [Request(r.key, r.name, r.place, r.half_days, current=current.get(r.key)) for r in changed]

    def timed(batch):
        times, result = [], None
        for _ in range(runs):
            started = time.perf_counter()
            result = solve(days, batch, length=45, max_per_day=8)
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times), result

    repair_ms, repaired = timed(hinted)
    resolve_ms, _ = timed(changed)
    moved = sum(1 for p in repaired.placed if current.get(p.key) not in (None, (p.day, p.start)))
    return Repairing(len(built.placed), repair_ms, resolve_ms, moved, runs)
