"""Demo data of the fellowship programme: appointments for the demo fellows and Amelia Hart's policy
questions about digital public services (the theme of the 2016 seed lunch). Running it again adds nothing."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from core.tags import find_or_create_tag
from extensions import db
from fellows.models import User
from programmes.models import Appointment, PolicyQuestion
from programmes.services import local_today

FELLOW_EMAIL = "amelia.hart@example.org"

QUESTIONS = [
    (
        "How can digital public services stay usable for people who are rarely online?",
        "The department is moving benefit claims online; we want to keep an assisted route that works.",
        ["Digital government", "Public service reform"],
    ),
    (
        "What should a government do before using AI to triage casework?",
        "Evidence on error rates, appeal routes and how staff use recommendations.",
        ["AI policy", "Data and privacy"],
    ),
    (
        "How can departments share data about citizens without losing their trust?",
        None,
        ["Data and privacy", "Digital government"],
    ),
]


def _appointments(today: date) -> None:
    appointed = set(db.session.scalars(select(Appointment.fellow_id)))
    fellows = db.session.scalars(select(User).where(User.role == "fellow").order_by(User.id)).all()
    for fellow in fellows:
        if fellow.id in appointed or fellow.cohort is None:
            continue
        starts = date(fellow.cohort, 10, 1)
        ends = date(fellow.cohort + 2, 9, 30)
        tier = "policy_fellow"
        if fellow.email == FELLOW_EMAIL:
            # Amelia renewed as a Continuing Fellow; her tenure ends soon, so the organisers' list shows it.
            tier, ends = "continuing_fellow", today + timedelta(days=45)
        elif fellow.fellow_status == "current" and ends < today:
            ends = date(today.year + 1, 9, 30)
        db.session.add(
            Appointment(fellow_id=fellow.id, tier=tier, cohort=fellow.cohort, starts_on=starts, ends_on=ends)
        )


def _questions(fellow: User) -> None:
    if db.session.scalar(select(PolicyQuestion.id).where(PolicyQuestion.fellow_id == fellow.id).limit(1)):
        return
    for text, context, topics in QUESTIONS:
        db.session.add(
            PolicyQuestion(
                fellow_id=fellow.id,
                question=text,
                context=context,
                created_by_id=fellow.id,
                topics=[find_or_create_tag(topic) for topic in topics],
            )
        )


def load() -> list[str]:
    today = local_today()
    _appointments(today)
    fellow = db.session.scalar(select(User).where(User.email == FELLOW_EMAIL))
    if fellow is not None:
        _questions(fellow)
    db.session.flush()
    return []
