"""Tenure and policy questions: the state changes (they flush, never commit; the view commits)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, func, select

from core.errors import ServiceError
from core.mail import erase_mentions
from core.models import Tag
from extensions import db
from fellows.models import User
from fellows.services import lock_account
from programmes.models import (
    DEFAULT_MEETING_TARGET,
    TIERS,
    Appointment,
    ExpertInvitation,
    FollowUp,
    Meeting,
    PolicyQuestion,
    VisitProgramme,
)

#: A fellow records a few questions, not a wish list: matching and invitations work per question.
MAX_QUESTIONS = 8


@dataclass
class AppointmentInput:
    fellow_id: int
    tier: str
    cohort: int
    starts_on: date
    ends_on: date
    meeting_target: int = DEFAULT_MEETING_TARGET


def save_appointment(appointment: Appointment, data: AppointmentInput) -> Appointment:
    """Create or change a fellow's appointment; one per fellow, ending after it starts."""
    fellow = db.session.get(User, data.fellow_id)
    if fellow is None or fellow.role != "fellow":
        raise ServiceError("Choose a fellow: organisers have no appointment.")
    if data.tier not in TIERS:
        raise ServiceError("Choose a tier.")
    if data.ends_on <= data.starts_on:
        raise ServiceError("The tenure must end after it starts.")
    other = db.session.scalar(select(Appointment).where(Appointment.fellow_id == data.fellow_id))
    if other is not None and other is not appointment:
        raise ServiceError(f"{fellow.name} already has an appointment: edit that one.")
    appointment.fellow_id = data.fellow_id
    appointment.tier, appointment.cohort = data.tier, data.cohort
    appointment.starts_on, appointment.ends_on = data.starts_on, data.ends_on
    if not 1 <= data.meeting_target <= 200:
        raise ServiceError("Aim for between 1 and 200 meetings.")
    appointment.meeting_target = data.meeting_target
    db.session.add(appointment)
    db.session.flush()
    return appointment


def appointments_query(*, status: str | None, ending_within: int | None, today: date):
    """A select of appointments (with their fellow), soonest end first, filtered by status or end date."""
    query = select(Appointment).join(User, User.id == Appointment.fellow_id)
    if status == "current":
        query = query.where(Appointment.starts_on <= today, Appointment.ends_on >= today)
    elif status == "alumni":
        query = query.where(Appointment.ends_on < today)
    elif status == "upcoming":
        query = query.where(Appointment.starts_on > today)
    if ending_within is not None:
        query = query.where(Appointment.ends_on >= today, Appointment.ends_on <= today + timedelta(days=ending_within))
    return query.order_by(Appointment.ends_on, User.name, Appointment.id)


def count_ending_soon(today: date, days: int) -> int:
    return db.session.scalar(
        select(func.count(Appointment.id)).where(
            Appointment.ends_on >= today, Appointment.ends_on <= today + timedelta(days=days)
        )
    )


def question_counts(fellow_ids: list[int]) -> dict[int, int]:
    """{fellow id: number of questions} in one grouped query."""
    if not fellow_ids:
        return {}
    rows = db.session.execute(
        select(PolicyQuestion.fellow_id, func.count(PolicyQuestion.id))
        .where(PolicyQuestion.fellow_id.in_(fellow_ids))
        .group_by(PolicyQuestion.fellow_id)
    )
    return dict(rows.all())


def fellows_without_appointment() -> list[User]:
    has = select(Appointment.fellow_id)
    return list(
        db.session.scalars(select(User).where(User.role == "fellow", User.id.not_in(has)).order_by(User.name, User.id))
    )


def save_question(
    question: PolicyQuestion, *, fellow_id: int, text: str, context: str | None, topics: list[Tag], actor
) -> PolicyQuestion:
    """Record or change a policy question; a fellow keeps at most MAX_QUESTIONS."""
    text = " ".join((text or "").split())
    if not text:
        raise ServiceError("Write the question.")
    if question.id is None:
        lock_account(fellow_id)  # two posts at once must not both find room for the eighth question
        count = db.session.scalar(select(func.count(PolicyQuestion.id)).where(PolicyQuestion.fellow_id == fellow_id))
        if count >= MAX_QUESTIONS:
            raise ServiceError(f"A fellow can record at most {MAX_QUESTIONS} questions: edit or remove one first.")
        question.fellow_id = fellow_id
        question.created_by_id = actor.id
    question.question = text
    question.context = (context or "").strip() or None
    question.topics = list(topics)
    db.session.add(question)
    db.session.flush()
    return question


def delete_question(question: PolicyQuestion) -> None:
    db.session.delete(question)
    db.session.flush()


def export_programme(user: User) -> dict | None:
    """A fellow's programme for "Download my data": appointment, questions, visits and their meetings
    (with the fellow's own ratings, notes and follow-ups)."""
    appointment = db.session.scalar(select(Appointment).where(Appointment.fellow_id == user.id))
    questions = db.session.scalars(
        select(PolicyQuestion).where(PolicyQuestion.fellow_id == user.id).order_by(PolicyQuestion.id)
    ).all()
    visits = db.session.scalars(
        select(VisitProgramme).where(VisitProgramme.fellow_id == user.id).order_by(VisitProgramme.starts_on)
    ).all()
    if appointment is None and not questions and not visits:
        return None
    meetings = db.session.scalars(
        select(Meeting).where(Meeting.programme_id.in_([visit.id for visit in visits])).order_by(Meeting.starts_at)
    ).all()
    follow_ups: dict[int, list[FollowUp]] = {}
    for follow_up in db.session.scalars(
        select(FollowUp).where(FollowUp.meeting_id.in_([m.id for m in meetings])).order_by(FollowUp.id)
    ):
        follow_ups.setdefault(follow_up.meeting_id, []).append(follow_up)
    return {
        "appointment": {
            "tier": appointment.tier_label,
            "cohort": appointment.cohort,
            "starts_on": appointment.starts_on.isoformat(),
            "ends_on": appointment.ends_on.isoformat(),
        }
        if appointment
        else None,
        "policy_questions": [
            {"question": q.question, "background": q.context, "topics": [tag.name for tag in q.topics]}
            for q in questions
        ],
        "visits": [
            {
                "starts_on": visit.starts_on.isoformat(),
                "ends_on": visit.ends_on.isoformat(),
                "meetings": [
                    {
                        "starts_at": meeting.starts_at.isoformat(),
                        "expert": meeting.expert.name if meeting.expert else None,
                        "place": meeting.place or "online",
                        "rating": meeting.rating,
                        "follow_up": meeting.follow_up,
                        "follow_ups": [
                            {
                                "action": f.action,
                                "owner": f.owner_label,
                                "due_on": f.due_on.isoformat(),
                                "done_at": f.done_at.isoformat() if f.done_at else None,
                            }
                            for f in follow_ups.get(meeting.id, [])
                        ],
                    }
                    for meeting in meetings
                    if meeting.programme_id == visit.id
                ],
            }
            for visit in visits
        ],
    }


def erase_programme(user) -> None:
    """Account deletion: the fellow's tenure, policy questions and visits go, with the experts' invitations,
    answers, meetings, feedback and follow-ups of those visits; emails to experts that quote her questions are erased
    too (those that name her go with the fellows' sweep). Runs after write-ups have let go of her visits."""
    questions = list(db.session.scalars(select(PolicyQuestion.question).where(PolicyQuestion.fellow_id == user.id)))
    visit_ids = select(VisitProgramme.id).where(VisitProgramme.fellow_id == user.id).scalar_subquery()
    meeting_ids = select(Meeting.id).where(Meeting.programme_id.in_(visit_ids)).scalar_subquery()
    db.session.execute(delete(FollowUp).where(FollowUp.meeting_id.in_(meeting_ids)))
    db.session.execute(delete(Meeting).where(Meeting.programme_id.in_(visit_ids)))
    db.session.execute(delete(ExpertInvitation).where(ExpertInvitation.programme_id.in_(visit_ids)))
    db.session.execute(delete(VisitProgramme).where(VisitProgramme.fellow_id == user.id))
    db.session.execute(delete(PolicyQuestion).where(PolicyQuestion.fellow_id == user.id))
    db.session.execute(delete(Appointment).where(Appointment.fellow_id == user.id))
    erase_mentions(questions)
    db.session.flush()
