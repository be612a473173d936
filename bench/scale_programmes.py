"""The fellowship programme's part of the generated data (``bench.scale``): appointments, the expert
network, visit programmes with policy questions, long lists of invited experts and meetings."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from bench.bulk import insert_links, insert_rows
from bench.words import FIRST, LAST, WORDS, sentence
from core.models import Tag
from core.timeutil import local_to_utc
from extensions import db
from programmes.models import (
    TIERS,
    Appointment,
    Expert,
    ExpertInvitation,
    Meeting,
    PolicyQuestion,
    TravelTime,
    VisitProgramme,
    expert_topics,
    question_topics,
)

DEPARTMENTS = [
    "Department of Computer Science",
    "Bennett Institute for Public Policy",
    "Department of Politics and International Studies",
    "Faculty of Law",
    "Judge Business School",
    "Department of Engineering",
    "Centre for the Future of Intelligence",
    "Department of Public Health and Primary Care",
    "Department of Land Economy",
    "Department of Geography",
    "Faculty of Economics",
    "Department of Psychology",
    "Institute for Manufacturing",
    "Department of Chemistry",
    "Department of Physics",
    "School of Clinical Medicine",
    "Department of Sociology",
    "Faculty of Education",
    "Institute of Criminology",
    "Department of Plant Sciences",
]
BUILDINGS = [
    "Alison Richard Building",
    "William Gates Building",
    "Inglis Building",
    "16 Mill Lane",
    "Judge Business School",
    "David Williams Building",
    "Strangeways Research Laboratory",
    "Sidgwick Site",
    "Downing Site",
    "West Cambridge Hub",
    "Maxwell Centre",
    "Old Schools",
    "London: Westminster",
    "London: Whitechapel",
]
TITLES = ["Professor", "Reader", "Associate Professor", "Senior Research Associate", "Lecturer", "Director"]
#: Meetings start at these times in each half-day (45 minutes each, lunch 12:30–13:30): six a day at most.
SLOTS = {"am": [time(9, 0), time(10, 15), time(11, 30)], "pm": [time(13, 45), time(15, 0), time(16, 15)]}


@dataclass
class Programmes:
    visits: int
    visit_id: int
    itinerary_visit_id: int
    question_id: int


def appointments(rng: random.Random, fellow_ids: list[int], cohorts: list[int]) -> None:
    """One appointment per fellow: two years from October of the cohort's year (a few renewed)."""
    rows = []
    for fellow_id, cohort in zip(fellow_ids, cohorts, strict=True):
        tier = rng.choices(list(TIERS), [80, 12, 8])[0]
        years = 3 if tier == "continuing_fellow" else 2
        rows.append(
            {
                "fellow_id": fellow_id,
                "tier": tier,
                "cohort": cohort,
                "starts_on": date(cohort, 10, 1),
                "ends_on": date(cohort + years, 9, 30),
            }
        )
    insert_rows(Appointment, rows)


def experts(rng: random.Random, count: int, organisations: list[int], tag_ids: list[int], tag: str) -> list[tuple]:
    """``count`` experts with topics; returns (id, location, meeting mode) of each."""
    names = dict(db.session.execute(select(Tag.id, Tag.name)).all())
    rows, topics = [], []
    for n in range(count):
        chosen = rng.sample(tag_ids, min(len(tag_ids), rng.randint(1, 3)))
        department = rng.choice(DEPARTMENTS)
        interests = ", ".join(names[t].lower() for t in chosen)
        rows.append(
            {
                "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "title": f"{rng.choice(TITLES)}, {department}" if n % 3 else rng.choice(TITLES),
                "department": department,
                "organisation_id": rng.choice(organisations) if rng.random() < 0.9 else None,
                "location": rng.choice(BUILDINGS),
                "biography": f"Researches {interests}. " + sentence(rng, 14) + " " + sentence(rng, 10),
                "email": f"expert.{tag}{n:05}@experts.example.org",
                "meeting_mode": rng.choices(["in_person", "online", "either"], [60, 15, 25])[0],
                "do_not_contact": rng.random() < 0.02,
            }
        )
        topics.append(chosen)
    ids = insert_rows(Expert, rows, ids=True)
    links = [{"expert_id": e, "tag_id": t} for e, chosen in zip(ids, topics, strict=True) for t in chosen]
    insert_links(expert_topics, links)
    _travel_times(rng)
    return [(e, row["location"], row["meeting_mode"]) for e, row in zip(ids, rows, strict=True)]


def _travel_times(rng: random.Random) -> None:
    have = {(a, b) for a, b in db.session.execute(select(TravelTime.place_a, TravelTime.place_b))}
    rows = []
    for n, a in enumerate(BUILDINGS):
        for b in BUILDINGS[n + 1 :]:
            pair = tuple(sorted((a, b)))
            if pair not in have and rng.random() < 0.4:
                minutes = 60 if a.startswith("London") != b.startswith("London") else rng.choice([5, 10, 15, 20])
                rows.append({"place_a": pair[0], "place_b": pair[1], "minutes": minutes})
    insert_rows(TravelTime, rows)


def visits(rng, count, fellows, expert_rows, tag_ids, organiser_id, now: datetime) -> Programmes:
    """``count`` visit weeks of distinct fellows, from three years ago to six months ahead, each with the
    fellow's policy questions, a long list of 12–30 experts in every state, and meetings for most of those
    who accepted (six a day at most)."""
    today = now.date()
    people = rng.sample(fellows, min(count, len(fellows)))
    first_monday = today - timedelta(days=today.weekday() + 3 * 365)
    weeks = (3 * 365 + 182) // 7
    visit_rows = []
    for n, fellow_id in enumerate(people):
        # The first two have the same shape at every size, so that their pages compare across sizes: one four
        # weeks ahead (the visit page), one a month ago (the itinerary, its meetings held).
        week = {0: (today - first_monday).days // 7 + 4, 1: (today - first_monday).days // 7 - 4}
        monday = first_monday + timedelta(weeks=week.get(n, rng.randrange(weeks)))
        visit_rows.append(
            {
                "fellow_id": fellow_id,
                "starts_on": monday,
                "ends_on": monday + timedelta(days=4),
                "home_location": rng.choice(BUILDINGS[:12]),
                "max_per_day": 6,
                "meeting_minutes": 45,
            }
        )
    visit_ids = insert_rows(VisitProgramme, visit_rows, ids=True)
    questions = _questions(rng, people, tag_ids, organiser_id, now)
    invitations, planned = [], []
    for n, (visit_id, row) in enumerate(zip(visit_ids, visit_rows, strict=True)):
        for expert in rng.sample(expert_rows, min(len(expert_rows), 30 if n < 2 else rng.randint(12, 30))):
            invitation = _invitation(rng, visit_id, row, expert, questions[row["fellow_id"]], now)
            invitations.append(invitation)
            planned.append((visit_id, row, expert))
    invitation_ids = insert_rows(ExpertInvitation, invitations, ids=True)
    _meetings(rng, invitation_ids, invitations, planned, now)
    visit_id = visit_ids[0] if visit_ids else 0
    itinerary = visit_ids[1] if len(visit_ids) > 1 else visit_id
    question = questions[visit_rows[0]["fellow_id"]][0] if visit_ids else 0
    return Programmes(len(visit_ids), visit_id, itinerary, question)


QUESTION_FORMS = [
    "How can government use evidence on {a} and {b} in {topic} policy?",
    "What should a department know about {a} before reforming {topic}?",
    "How do we measure {a} outcomes in {topic} without losing public {b}?",
]


def _questions(rng, people, tag_ids, organiser_id, now) -> dict[int, list[int]]:
    names = dict(db.session.execute(select(Tag.id, Tag.name)).all())
    rows, topics = [], []
    for n, fellow_id in enumerate(people):
        for _ in range(3 if n < 2 else rng.randint(1, 3)):
            chosen = rng.sample(tag_ids, min(len(tag_ids), rng.randint(1, 2)))
            text = rng.choice(QUESTION_FORMS).format(
                a=rng.choice(WORDS), b=rng.choice(WORDS), topic=names[chosen[0]].lower()
            )
            rows.append(
                {
                    "fellow_id": fellow_id,
                    "question": text,
                    "context": sentence(rng, 16) if rng.random() < 0.6 else None,
                    "created_by_id": fellow_id if rng.random() < 0.7 else organiser_id,
                    "created_at": now - timedelta(days=rng.randint(30, 900)),
                }
            )
            topics.append(chosen)
    ids = insert_rows(PolicyQuestion, rows, ids=True)
    links = [{"question_id": q, "tag_id": t} for q, chosen in zip(ids, topics, strict=True) for t in chosen]
    insert_links(question_topics, links)
    by_fellow: dict[int, list[int]] = {fellow_id: [] for fellow_id in people}
    for question_id, row in zip(ids, rows, strict=True):
        by_fellow[row["fellow_id"]].append(question_id)
    return by_fellow


def _half_days(row: dict) -> list[str]:
    days = [row["starts_on"] + timedelta(days=n) for n in range(5)]
    return [f"{day.isoformat()} {part}" for day in days for part in ("am", "pm")]


def _invitation(rng, visit_id, row, expert, questions, now) -> dict:
    expert_id = expert[0]
    status = rng.choices(["listed", "invited", "accepted", "declined"], [15, 15, 45, 25])[0]
    invited_at = datetime.combine(row["starts_on"], time(9), tzinfo=now.tzinfo) - timedelta(days=rng.randint(20, 60))
    answered = status in ("accepted", "declined")
    return {
        "programme_id": visit_id,
        "expert_id": expert_id,
        "question_id": rng.choice(questions) if questions else None,
        "status": status,
        "token_hash": None if status == "listed" else _token_hash(visit_id, expert_id),
        "invited_at": None if status == "listed" else invited_at,
        "responded_at": invited_at + timedelta(days=rng.randint(1, 10)) if answered else None,
        "available": sorted(rng.sample(_half_days(row), rng.randint(2, 5))) if status == "accepted" else [],
        "suggestion": "My colleague works on this too." if status == "declined" and rng.random() < 0.3 else None,
        "created_at": invited_at - timedelta(days=2),
    }


def _token_hash(visit_id: int, expert_id: int) -> str:
    """A stand-in for the hash of a private link's token: unique, and no link anybody holds."""
    return hashlib.sha256(f"bench-invitation-{visit_id}-{expert_id}".encode()).hexdigest()


def _meetings(rng, invitation_ids, invitations, planned, now) -> list[dict]:
    """Meetings for ~85 % of the experts who accepted, in a free slot of a half-day they offered."""
    taken: set[tuple[int, str, int]] = set()
    rows = []
    for invitation_id, invitation, (visit_id, _row, expert) in zip(invitation_ids, invitations, planned, strict=True):
        if invitation["status"] != "accepted" or rng.random() > 0.85:
            continue
        for half_day in invitation["available"]:
            day, part = half_day.split()
            free = [n for n in range(3) if (visit_id, half_day, n) not in taken]
            if free:
                slot = free[0]
                taken.add((visit_id, half_day, slot))
                starts = local_to_utc(datetime.combine(date.fromisoformat(day), SLOTS[part][slot]))
                ends = starts + timedelta(minutes=45)
                held = ends <= now
                rows.append(
                    {
                        "programme_id": visit_id,
                        "invitation_id": invitation_id,
                        "starts_at": starts,
                        "ends_at": ends,
                        "place": expert[1] if expert[2] != "online" else None,
                        "rating": rng.randint(2, 5) if held and rng.random() < 0.7 else None,
                        "follow_up": sentence(rng, 10) if held and rng.random() < 0.3 else None,
                        "expert_rating": rng.randint(3, 5) if held and rng.random() < 0.4 else None,
                    }
                )
                break
    insert_rows(Meeting, rows)
    return rows
