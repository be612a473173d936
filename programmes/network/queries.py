"""The network picture: for one fellow, a cohort or the whole programme, who met whom, and which fields
and departments the meetings covered, beside what the fellows asked about and what the network holds.

A *field* is a topic (a tag on questions and on experts); a *department* is an expert's department. A field
is **thin** when the fellows' questions ask about it and they have met fewer than ``THIN_MET`` experts in
it; a field or department is **thin in the network** when fewer than ``THIN_POOL`` experts who may be
contacted hold it, so inviting more will not help: the office has to recruit. Cancelled meetings are not
counted (cancelling removes the meeting); a meeting is *held* once it has ended, *planned* before.

Every figure comes from a fixed handful of grouped statements, whatever the number of fellows, experts
and meetings (tests/programmes/test_network.py counts them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, distinct, func, select

from core.models import Tag
from extensions import db
from fellows.models import Organisation, User
from programmes.dashboard.queries import cohorts, fellows_in_scope
from programmes.models import (
    Expert,
    ExpertInvitation,
    Meeting,
    PolicyQuestion,
    VisitProgramme,
    expert_topics,
    question_topics,
)

#: Fewer experts met than this in a field the questions ask about: thin.
THIN_MET = 2
#: Fewer contactable experts than this in the network: thin in the network.
THIN_POOL = 3
#: Rows in each chart (the tables list every row).
CHART_ROWS = 15
NO_DEPARTMENT = "(no department)"


@dataclass
class Tie:
    """One fellow and one expert who met (or will), with how often."""

    expert_id: int
    expert: str
    department: str
    held: int
    planned: int


@dataclass
class FellowTies:
    fellow_id: int
    name: str
    organisation: str
    ties: list[Tie] = field(default_factory=list)

    @property
    def held(self) -> int:
        return sum(t.held for t in self.ties)

    @property
    def planned(self) -> int:
        return sum(t.planned for t in self.ties)


@dataclass
class Coverage:
    """A field or a department: what was asked (fields only), met and held, and what the network holds."""

    label: str
    asked: int = 0
    experts_met: int = 0
    held: int = 0
    planned: int = 0
    pool: int = 0

    @property
    def meetings(self) -> int:
        return self.held + self.planned

    @property
    def thin(self) -> bool:
        return self.asked > 0 and self.experts_met < THIN_MET

    @property
    def thin_pool(self) -> bool:
        return self.pool < THIN_POOL


@dataclass
class SharedExpert:
    """An expert several fellows in the scope met: the network's connectors."""

    name: str
    department: str
    fellows: list[str]


@dataclass
class Network:
    fellows: list[FellowTies]
    fields: list[Coverage]
    departments: list[Coverage]
    cohorts: list[int]

    @property
    def experts_met(self) -> int:
        return len({t.expert_id for f in self.fellows for t in f.ties})

    @property
    def held(self) -> int:
        return sum(f.held for f in self.fellows)

    @property
    def planned(self) -> int:
        return sum(f.planned for f in self.fellows)

    @property
    def thin_fields(self) -> list[Coverage]:
        return [c for c in self.fields if c.thin]

    @property
    def departments_met(self) -> list[Coverage]:
        return [c for c in self.departments if c.experts_met]

    @property
    def departments_not_met(self) -> list[Coverage]:
        return [c for c in self.departments if not c.experts_met]

    @property
    def shared(self) -> list[SharedExpert]:
        met_by: dict[int, SharedExpert] = {}
        for person in self.fellows:
            for tie in person.ties:
                met_by.setdefault(tie.expert_id, SharedExpert(tie.expert, tie.department, [])).fellows.append(
                    person.name
                )
        return sorted(
            (s for s in met_by.values() if len(s.fellows) > 1), key=lambda s: (-len(s.fellows), s.name.casefold())
        )

    def chart_rows(self, rows: list[Coverage]) -> list[Coverage]:
        """The rows a chart draws: those with meetings, most first (the table beside it lists all)."""
        return sorted((c for c in rows if c.meetings), key=lambda c: (-c.meetings, c.label.casefold()))[:CHART_ROWS]


def _people(chosen):
    """Fellows in the scope with a visit or a question, by name: the rows of *Who met whom*."""
    return {
        person_id: FellowTies(person_id, name, organisation or "")
        for person_id, name, organisation in db.session.execute(
            select(User.id, User.name, Organisation.name)
            .outerjoin(Organisation, Organisation.id == User.organisation_id)
            .where(
                User.id.in_(chosen),
                User.id.in_(select(VisitProgramme.fellow_id)) | User.id.in_(select(PolicyQuestion.fellow_id)),
            )
            .order_by(User.name, User.id)
        )
    }


def build(now: datetime, *, cohort: int | None = None, fellow_id: int | None = None) -> Network:
    """The picture for every fellow, one cohort, or one fellow."""
    chosen = fellows_in_scope(cohort, fellow_id)
    people = _people(chosen)
    held = func.sum(case((Meeting.ends_at <= now, 1), else_=0))
    planned = func.sum(case((Meeting.ends_at > now, 1), else_=0))
    department = func.coalesce(func.nullif(func.trim(Expert.department), ""), NO_DEPARTMENT)
    met = (
        select()
        .select_from(Meeting)
        .join(VisitProgramme, VisitProgramme.id == Meeting.programme_id)
        .join(ExpertInvitation, ExpertInvitation.id == Meeting.invitation_id)
        .join(Expert, Expert.id == ExpertInvitation.expert_id)
        .where(VisitProgramme.fellow_id.in_(list(people)))
    )

    for person_id, expert_id, name, dept, held_n, planned_n in db.session.execute(
        met.add_columns(VisitProgramme.fellow_id, Expert.id, Expert.name, department, held, planned)
        .group_by(VisitProgramme.fellow_id, Expert.id, Expert.name, department)
        .order_by(VisitProgramme.fellow_id, Expert.name, Expert.id)
    ):
        people[person_id].ties.append(Tie(expert_id, name, dept, held_n or 0, planned_n or 0))

    fields: dict[str, Coverage] = {}
    for name, asked in db.session.execute(
        select(Tag.name, func.count(distinct(PolicyQuestion.id)))
        .join(question_topics, question_topics.c.tag_id == Tag.id)
        .join(PolicyQuestion, PolicyQuestion.id == question_topics.c.question_id)
        .where(PolicyQuestion.fellow_id.in_(list(people)))
        .group_by(Tag.name)
    ):
        fields[name] = Coverage(name, asked=asked)
    for name, experts, held_n, planned_n in db.session.execute(
        met.join(expert_topics, expert_topics.c.expert_id == Expert.id)
        .join(Tag, Tag.id == expert_topics.c.tag_id)
        .add_columns(Tag.name, func.count(distinct(Expert.id)), held, planned)
        .group_by(Tag.name)
    ):
        row = fields.setdefault(name, Coverage(name))
        row.experts_met, row.held, row.planned = experts, held_n or 0, planned_n or 0
    for name, pool in db.session.execute(
        select(Tag.name, func.count(Expert.id))
        .join(expert_topics, expert_topics.c.tag_id == Tag.id)
        .join(Expert, Expert.id == expert_topics.c.expert_id)
        .where(Expert.do_not_contact.is_(False), Tag.name.in_(list(fields)))
        .group_by(Tag.name)
    ):
        fields[name].pool = pool

    departments: dict[str, Coverage] = {}
    for name, pool in db.session.execute(
        select(department, func.count(Expert.id)).where(Expert.do_not_contact.is_(False)).group_by(department)
    ):
        departments[name] = Coverage(name, pool=pool)
    for name, experts, held_n, planned_n in db.session.execute(
        met.add_columns(department, func.count(distinct(Expert.id)), held, planned).group_by(department)
    ):
        row = departments.setdefault(name, Coverage(name))
        row.experts_met, row.held, row.planned = experts, held_n or 0, planned_n or 0

    def in_order(rows: dict[str, Coverage]) -> list[Coverage]:
        return sorted(rows.values(), key=lambda c: (-c.meetings, -c.asked, -c.pool, c.label.casefold()))

    return Network(list(people.values()), in_order(fields), in_order(departments), cohorts())
