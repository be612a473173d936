"""Reads of the outcomes: a fellow's impact records (the meetings they can draw on, the stories that name
an expert, every record as CSV rows); of the follow-ups ledger: a visit's follow-ups by meeting (the
itinerary), the figures and the overdue list for the dashboard (counts inside the statement that reads the
fellows, and one list, however many there are), and the follow-ups whose nudge is due."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, selectinload

from core.timeutil import to_local
from extensions import db
from programmes.models import ExpertInvitation, FollowUp, ImpactRecord, Meeting, VisitProgramme, impact_meetings

#: Rows of the dashboard's list of follow-ups to chase.
TO_CHASE = 15


def follow_ups_by_meeting(visit: VisitProgramme) -> dict[int, list[FollowUp]]:
    """Each meeting's follow-ups, open first by due date, then the done ones."""
    by_meeting: dict[int, list[FollowUp]] = {}
    for follow_up in db.session.scalars(
        select(FollowUp)
        .join(Meeting, Meeting.id == FollowUp.meeting_id)
        .where(Meeting.programme_id == visit.id)
        .order_by(FollowUp.done_at.is_not(None), FollowUp.due_on, FollowUp.id)
    ):
        by_meeting.setdefault(follow_up.meeting_id, []).append(follow_up)
    return by_meeting


@dataclass
class Counts:
    """How many follow-ups are open (of which overdue) and done."""

    open: int = 0
    overdue: int = 0
    done: int = 0

    @property
    def total(self) -> int:
        return self.open + self.done


@dataclass
class Ledger:
    """The dashboard's follow-ups: the counts per fellow and together, and the overdue ones to chase."""

    by_fellow: dict[int, Counts] = field(default_factory=dict)
    to_chase: list[FollowUp] = field(default_factory=list)

    @property
    def totals(self) -> Counts:
        return Counts(
            sum(c.open for c in self.by_fellow.values()),
            sum(c.overdue for c in self.by_fellow.values()),
            sum(c.done for c in self.by_fellow.values()),
        )


def count_columns(today: date, fellow_id) -> tuple:
    """Three correlated counts for a statement that reads fellows (``fellow_id`` is its fellow's id
    column): the follow-ups of her meetings open, overdue and done. A page adds them to the statement that
    reads its fellows, so the ledger costs no statement of its own however many fellows there are."""
    not_done = FollowUp.done_at.is_(None)

    def count(*where):
        return (
            select(func.count(FollowUp.id))
            .join(Meeting, Meeting.id == FollowUp.meeting_id)
            .join(VisitProgramme, VisitProgramme.id == Meeting.programme_id)
            .where(VisitProgramme.fellow_id == fellow_id, *where)
            .correlate_except(FollowUp, Meeting, VisitProgramme)
            .scalar_subquery()
        )

    return (
        count(not_done).label("follow_ups_open"),
        count(not_done, FollowUp.due_on < today).label("follow_ups_overdue"),
        count(FollowUp.done_at.is_not(None)).label("follow_ups_done"),
    )


def to_chase(today: date, fellow_ids: list[int]) -> list[FollowUp]:
    """The oldest overdue follow-ups of the fellows ``fellow_ids``, with their meeting, fellow and expert."""
    return list(
        db.session.scalars(
            select(FollowUp)
            .join(FollowUp.meeting)
            .join(Meeting.programme)
            .where(VisitProgramme.fellow_id.in_(fellow_ids), FollowUp.done_at.is_(None), FollowUp.due_on < today)
            .options(
                # Each follow-up has one of each: joined into the one statement (the dashboard counts its queries).
                contains_eager(FollowUp.meeting).contains_eager(Meeting.programme).joinedload(VisitProgramme.fellow),
                contains_eager(FollowUp.meeting).joinedload(Meeting.invitation).joinedload(ExpertInvitation.expert),
            )
            .order_by(FollowUp.due_on, FollowUp.id)
            .limit(TO_CHASE)
        )
    )


def due_for_a_nudge(today: date) -> list[FollowUp]:
    """Follow-ups due today or before, not done, whose nudge has not been queued."""
    return list(
        db.session.scalars(
            select(FollowUp)
            .where(FollowUp.done_at.is_(None), FollowUp.nudged_at.is_(None), FollowUp.due_on <= today)
            .options(
                selectinload(FollowUp.meeting).selectinload(Meeting.programme).selectinload(VisitProgramme.fellow),
                selectinload(FollowUp.meeting).selectinload(Meeting.invitation).selectinload(ExpertInvitation.expert),
            )
            .order_by(FollowUp.id)
        )
    )


def due_between(since: datetime, until: datetime) -> list[FollowUp]:
    """The team's and experts' open follow-ups whose due day (in the configured zone) began in the window."""
    first, last = to_local(since).date(), to_local(until).date()
    return list(
        db.session.scalars(
            select(FollowUp)
            .where(
                FollowUp.done_at.is_(None),
                FollowUp.owner.in_(("expert", "organiser")),
                FollowUp.due_on > first,
                FollowUp.due_on <= last,
            )
            .options(
                selectinload(FollowUp.meeting).selectinload(Meeting.programme).selectinload(VisitProgramme.fellow),
                selectinload(FollowUp.meeting).selectinload(Meeting.invitation).selectinload(ExpertInvitation.expert),
            )
            .order_by(FollowUp.due_on, FollowUp.id)
        )
    )


def impact_of(fellow_id: int) -> list[ImpactRecord]:
    """A fellow's impact records, newest change first, with their meetings (and experts) and quotes."""
    return list(
        db.session.scalars(
            select(ImpactRecord)
            .where(ImpactRecord.fellow_id == fellow_id)
            .options(
                selectinload(ImpactRecord.meetings)
                .selectinload(Meeting.invitation)
                .selectinload(ExpertInvitation.expert),
                selectinload(ImpactRecord.quotes),
                selectinload(ImpactRecord.withheld),
            )
            .order_by(ImpactRecord.happened_on.desc().nulls_last(), ImpactRecord.id.desc())
        )
    )


def held_meetings_of(fellow_id: int, now: datetime) -> list[Meeting]:
    """The fellow's meetings that have taken place, newest first: what an impact record can draw on."""
    return list(
        db.session.scalars(
            select(Meeting)
            .join(VisitProgramme, VisitProgramme.id == Meeting.programme_id)
            .where(VisitProgramme.fellow_id == fellow_id, Meeting.ends_at <= now)
            .options(selectinload(Meeting.invitation).selectinload(ExpertInvitation.expert))
            .order_by(Meeting.starts_at.desc())
        )
    )


IMPACT_CSV_HEADER = [
    "Fellow",
    "Cohort",
    "Title",
    "What changed",
    "Evidence",
    "When",
    "Meetings it drew on",
    "Quotes (with consent)",
    "Recorded",
]


def _meeting_label(record: ImpactRecord, meeting: Meeting) -> str:
    return f"{record.expert_in_story(meeting)} ({to_local(meeting.starts_at):%Y-%m-%d})"


def impact_csv_rows() -> list[list]:
    """Every fellow's impact records, for the organisers' CSV (one row per record)."""
    records = db.session.scalars(
        select(ImpactRecord)
        .options(
            selectinload(ImpactRecord.fellow),
            selectinload(ImpactRecord.meetings).selectinload(Meeting.invitation).selectinload(ExpertInvitation.expert),
            selectinload(ImpactRecord.quotes),
            selectinload(ImpactRecord.withheld),
        )
        .order_by(ImpactRecord.fellow_id, ImpactRecord.id)
    )
    return [
        [
            record.fellow.name,
            record.fellow.cohort or "",
            record.title,
            record.what_changed,
            record.evidence or "",
            record.happened_on.isoformat() if record.happened_on else "",
            "; ".join(_meeting_label(record, m) for m in record.meetings),
            " | ".join(
                f"\u201c{q.text}\u201d ({q.speaker}, consent {q.consent_on.isoformat()})" for q in record.quotes
            ),
            to_local(record.created_at).date().isoformat(),
        ]
        for record in records
    ]


def export_impact_of(user) -> list[dict] | None:
    """A fellow's impact records for "Download my data"."""
    records = impact_of(user.id)
    if not records:
        return None
    return [
        {
            "title": record.title,
            "what_changed": record.what_changed,
            "evidence": record.evidence,
            "happened_on": record.happened_on.isoformat() if record.happened_on else None,
            "meetings": [_meeting_label(record, m) for m in record.meetings],
            "quotes": [
                {"text": q.text, "speaker": q.speaker, "consent_on": q.consent_on.isoformat()} for q in record.quotes
            ],
        }
        for record in records
    ]


@dataclass
class Story:
    """An impact story as the expert who took part sees it from their private link."""

    record: ImpactRecord
    #: The expert's meetings the story draws on.
    meetings: list[Meeting]

    @property
    def named(self) -> bool:
        return all(self.record.names(m) for m in self.meetings)


def stories_naming(expert_id: int) -> list[Story]:
    """The impact records that draw on a meeting of this expert (and so name them unless they asked not
    to be), newest change first, each with the expert's meetings it draws on."""
    rows = db.session.execute(
        select(ImpactRecord, Meeting)
        .join(impact_meetings, impact_meetings.c.record_id == ImpactRecord.id)
        .join(Meeting, Meeting.id == impact_meetings.c.meeting_id)
        .join(ExpertInvitation, ExpertInvitation.id == Meeting.invitation_id)
        .where(ExpertInvitation.expert_id == expert_id)
        .options(
            selectinload(ImpactRecord.withheld),
            selectinload(ImpactRecord.fellow),
            selectinload(Meeting.invitation).selectinload(ExpertInvitation.expert),
        )
        .order_by(ImpactRecord.happened_on.desc().nulls_last(), ImpactRecord.id.desc(), Meeting.starts_at)
    )
    stories: dict[int, Story] = {}
    for record, meeting in rows:
        stories.setdefault(record.id, Story(record, [])).meetings.append(meeting)
    return list(stories.values())
