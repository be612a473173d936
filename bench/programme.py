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
