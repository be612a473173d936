"""The programme dashboard: per fellow and per cohort, meetings held, questions covered (a question with
no meeting is flagged), follow-ups done, open and overdue (with the overdue to chase), acceptance rates
per expert and per department, and the experts most met.

Every figure comes from a few grouped queries, so the page costs the same however many fellows,
invitations and meetings there are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select

from core.timeutil import to_local
from extensions import db
from fellows.models import User
from programmes.models import Appointment, Expert, ExpertInvitation, Meeting, PolicyQuestion, VisitProgramme
from programmes.outcomes.queries import Counts, Ledger, count_columns, to_chase

ANSWERED = ("accepted", "declined")
ASKED = ("invited", "accepted", "declined", "expired")
#: Experts and departments shown in the rankings.
TOP = 15


@dataclass
class FellowRow:
    fellow_id: int
    name: str
    cohort: int | None
    visits: int = 0
    invited: int = 0
    accepted: int = 0
    held: int = 0
    planned: int = 0
    questions: int = 0
    covered: int = 0
    rating: float | None = None
    uncovered: list[str] = field(default_factory=list)
    #: Meetings the tenure aims for (Appointment.meeting_target); None without an appointment.
    target: int | None = None
    #: The follow-ups agreed at the fellow's meetings.
    follow_ups: Counts = field(default_factory=Counts)

    @property
    def acceptance(self) -> int | None:
        return round(100 * self.accepted / self.invited) if self.invited else None

    @property
    def meetings(self) -> int:
        """Held and planned: what the tenure will have had if nothing more changes."""
        return self.held + self.planned

    @property
    def short_of_target(self) -> int:
        return max(0, (self.target or 0) - self.meetings)


@dataclass
class RateRow:
    label: str
    invited: int
    accepted: int
    met: int = 0

    @property
    def acceptance(self) -> int | None:
        return round(100 * self.accepted / self.invited) if self.invited else None


@dataclass
class Dashboard:
    fellows: list[FellowRow]
    experts: list[RateRow]
    departments: list[RateRow]
    most_met: list[RateRow]
    cohorts: list[int]
    follow_ups: Ledger = field(default_factory=Ledger)

    @property
    def totals(self) -> FellowRow:
        total = FellowRow(0, "All", None)
        for row in self.fellows:
            for name in ("visits", "invited", "accepted", "held", "planned", "questions", "covered"):
                setattr(total, name, getattr(total, name) + getattr(row, name))
        return total


def fellows_in_scope(cohort: int | None, fellow_id: int | None):
    """The ids of the fellows in a scope (everyone, a cohort by appointment or profile, one fellow), as a subquery."""
    query = select(User.id).where(User.role == "fellow")
    if fellow_id is not None:
        query = query.where(User.id == fellow_id)
    if cohort is not None:
        appointed = select(Appointment.fellow_id).where(Appointment.cohort == cohort)
        query = query.where((User.id.in_(appointed)) | (User.cohort == cohort))
    return query


def build(now: datetime, *, cohort: int | None = None, fellow_id: int | None = None) -> Dashboard:
    """The dashboard for everyone, one cohort, or one fellow (only fellows with a visit or a question)."""
    chosen = fellows_in_scope(cohort, fellow_id)
    rows: dict[int, FellowRow] = {}
    today = to_local(now).date()
    people = db.session.execute(
        select(
            User.id,
            User.name,
            func.coalesce(Appointment.cohort, User.cohort),
            Appointment.meeting_target,
            select(func.count(VisitProgramme.id))
            .where(VisitProgramme.fellow_id == User.id)
            .correlate(User)
            .scalar_subquery(),
            *count_columns(today, User.id),
        )
        .outerjoin(Appointment, Appointment.fellow_id == User.id)
        .where(
            User.id.in_(chosen),
            User.id.in_(select(VisitProgramme.fellow_id)) | User.id.in_(select(PolicyQuestion.fellow_id)),
        )
        .order_by(User.name, User.id)
    )
    for person_id, name, person_cohort, target, visits, *follow_ups in people:
        row = FellowRow(person_id, name, person_cohort, target=target, follow_ups=Counts(*follow_ups))
        row.visits = visits
        rows[person_id] = row
    ids = list(rows)
    for person_id, invited, accepted in db.session.execute(
        select(
            VisitProgramme.fellow_id,
            func.count(ExpertInvitation.id),
            func.sum(case((ExpertInvitation.status == "accepted", 1), else_=0)),
        )
        .join(ExpertInvitation, ExpertInvitation.programme_id == VisitProgramme.id)
        .where(VisitProgramme.fellow_id.in_(ids), ExpertInvitation.status.in_(ASKED))
        .group_by(VisitProgramme.fellow_id)
    ):
        rows[person_id].invited, rows[person_id].accepted = invited, accepted or 0
    for person_id, held, planned, rating in db.session.execute(
        select(
            VisitProgramme.fellow_id,
            func.sum(case((Meeting.ends_at <= now, 1), else_=0)),
            func.sum(case((Meeting.ends_at > now, 1), else_=0)),
            func.avg(Meeting.rating),
        )
        .join(Meeting, Meeting.programme_id == VisitProgramme.id)
        .where(VisitProgramme.fellow_id.in_(ids))
        .group_by(VisitProgramme.fellow_id)
    ):
        rows[person_id].held, rows[person_id].planned = held or 0, planned or 0
        rows[person_id].rating = round(float(rating), 1) if rating is not None else None
    met_questions = (
        select(ExpertInvitation.question_id)
        .join(Meeting, Meeting.invitation_id == ExpertInvitation.id)
        .where(ExpertInvitation.question_id.is_not(None))
    )
    for person_id, text, covered in db.session.execute(
        select(
            PolicyQuestion.fellow_id,
            PolicyQuestion.question,
            case((PolicyQuestion.id.in_(met_questions), True), else_=False),
        )
        .where(PolicyQuestion.fellow_id.in_(ids))
        .order_by(PolicyQuestion.id)
    ):
        row = rows[person_id]
        row.questions += 1
        if covered:
            row.covered += 1
        else:
            row.uncovered.append(text)

    in_scope = select(VisitProgramme.id).where(VisitProgramme.fellow_id.in_(ids))
    accepted_sum = func.sum(case((ExpertInvitation.status == "accepted", 1), else_=0))
    expert_rates = [
        RateRow(name, invited, accepted or 0)
        for name, invited, accepted in db.session.execute(
            select(Expert.name, func.count(ExpertInvitation.id), accepted_sum)
            .join(ExpertInvitation, ExpertInvitation.expert_id == Expert.id)
            .where(ExpertInvitation.programme_id.in_(in_scope), ExpertInvitation.status.in_(ASKED))
            .group_by(Expert.id, Expert.name)
            .order_by(func.count(ExpertInvitation.id).desc(), Expert.name)
            .limit(TOP)
        )
    ]
    department = func.coalesce(Expert.department, "(no department)")
    department_rates = [
        RateRow(name, invited, accepted or 0)
        for name, invited, accepted in db.session.execute(
            select(department, func.count(ExpertInvitation.id), accepted_sum)
            .join(ExpertInvitation, ExpertInvitation.expert_id == Expert.id)
            .where(ExpertInvitation.programme_id.in_(in_scope), ExpertInvitation.status.in_(ASKED))
            .group_by(department)
            .order_by(func.count(ExpertInvitation.id).desc(), department)
            .limit(TOP)
        )
    ]
    most_met = [
        RateRow(name, 0, 0, met)
        for name, met in db.session.execute(
            select(Expert.name, func.count(Meeting.id))
            .join(ExpertInvitation, ExpertInvitation.expert_id == Expert.id)
            .join(Meeting, Meeting.invitation_id == ExpertInvitation.id)
            .where(Meeting.programme_id.in_(in_scope), Meeting.ends_at <= now)
            .group_by(Expert.id, Expert.name)
            .order_by(func.count(Meeting.id).desc(), Expert.name)
            .limit(TOP)
        )
    ]
    follow_ups = Ledger({row.fellow_id: row.follow_ups for row in rows.values()}, to_chase(today, ids))
    return Dashboard(list(rows.values()), expert_rates, department_rates, most_met, cohorts(), follow_ups)


def cohorts() -> list[int]:
    """The cohorts tenures name, newest first: the choices of a scope."""
    return sorted({c for c in db.session.scalars(select(Appointment.cohort).distinct()) if c is not None}, reverse=True)


CSV_HEADER = [
    "Fellow",
    "Cohort",
    "Visits",
    "Experts invited",
    "Accepted",
    "Acceptance rate (%)",
    "Meetings held",
    "Meetings planned",
    "Meeting target",
    "Average rating",
    "Questions",
    "Questions with a meeting",
    "Questions without a meeting",
    "Follow-ups done",
    "Follow-ups open",
    "Follow-ups overdue",
]


def csv_rows(dashboard: Dashboard) -> list[list]:
    return [
        [
            row.name,
            row.cohort or "",
            row.visits,
            row.invited,
            row.accepted,
            "" if row.acceptance is None else row.acceptance,
            row.held,
            row.planned,
            "" if row.target is None else row.target,
            "" if row.rating is None else row.rating,
            row.questions,
            row.covered,
            "; ".join(row.uncovered),
            row.follow_ups.done,
            row.follow_ups.open,
            row.follow_ups.overdue,
        ]
        for row in dashboard.fellows
    ]
