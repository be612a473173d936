"""A visit programme and a rapid-response question as things a write-up can be of. The write-ups area sits
above this one and asks ``describe`` and ``describe_rapid`` (``writeups.subjects`` names them there); this
area never imports write-ups.

What readers see of the subject names nobody: a write-up is usually under the Chatham House Rule, and
the fellow's own visibility choice decides where their name appears. The people it lists for the
Chatham House check are the fellow and every expert with a meeting in the timetable.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.lib.wording import plural
from core.timeutil import local_to_utc
from extensions import db
from programmes.experts.matching import questions_of
from programmes.models import ExpertInvitation, Meeting, PanelMember, RapidQuestion, VisitProgramme


@dataclass(frozen=True)
class WriteupSubject:
    """A visit programme as the write-ups area needs to know it (write-ups sit above programmes and ask
    ``describe``; ``writeups.subjects`` names this area in the open)."""

    #: "Visit programme": shown where an event write-up shows the kind of event.
    kind_label: str
    #: How readers see what the write-up is of; it must not name anyone the Chatham House Rule protects.
    title: str
    #: When it began (shown as the date), or None.
    starts_at: datetime | None
    #: people() -> [(key, name, role), …]: whom a write-up under the Chatham House Rule must not name.
    people: Callable[[], list[tuple[str, str, str]]]
    #: draft() -> (title, summary, Markdown body) to start the write-up from.
    draft: Callable[[], tuple[str, str, str]]
    #: An organisers' page about the thing, or None.
    manage_url: str | None = None


def _meetings(visit: VisitProgramme) -> list[Meeting]:
    return list(
        db.session.scalars(
            select(Meeting)
            .where(Meeting.programme_id == visit.id)
            .options(
                selectinload(Meeting.invitation).selectinload(ExpertInvitation.expert),
                selectinload(Meeting.invitation).selectinload(ExpertInvitation.question),
            )
            .order_by(Meeting.starts_at, Meeting.id)
        )
    )


def people(visit: VisitProgramme) -> list[tuple[str, str, str]]:
    """(key, name, role) of the fellow and of each expert they meet, for the Chatham House check."""
    found = [(f"fellow:{visit.fellow_id}", visit.fellow.name, "the fellow")]
    for meeting in _meetings(visit):
        if meeting.expert is not None:
            found.append((f"expert:{meeting.expert.id}", meeting.expert.name, "expert met"))
    return found


def draft(visit: VisitProgramme) -> tuple[str, str, str]:
    """Title, summary and a Markdown outline to write the programme up from: the questions, and for each
    how many experts were met and from which departments or organisations, but no names."""
    meetings = _meetings(visit)
    questions = questions_of(visit)
    by_question: dict[int | None, list[Meeting]] = {}
    for meeting in meetings:
        by_question.setdefault(meeting.invitation.question_id, []).append(meeting)
    lines = [
        "## The questions",
        "",
    ]
    for question in questions:
        met = by_question.get(question.id, [])
        lines.append(f"### {question.question}")
        lines.append("")
        if met:
            places = Counter(m.expert.affiliation for m in met if m.expert is not None and m.expert.affiliation)
            where = ", ".join(name for name, _ in places.most_common(6))
            lines.append(
                f"Discussed in {plural(len(met), 'meeting')}" + (f", with people from {where}." if where else ".")
            )
        else:
            lines.append("No meeting was held on this question.")
        lines.append("")
    lines += [
        "## What we heard",
        "",
        "_The themes of the discussions. Under the Chatham House Rule, report what was said, not who said it:"
        " the check before publishing flags the fellow's and the experts' names._",
        "",
        "## What happens next",
        "",
        "_Follow-ups, return visits and workshops._",
    ]
    days = visit.days()
    summary = (
        f"A Policy Fellow's visit week: {plural(len(meetings), 'one-to-one meeting')} with researchers and "
        f"practitioners on {plural(len(questions), 'policy question')}"
        + (f", over {plural(len(days), 'day')}." if days else ".")
    )
    return "What we heard in a Policy Fellow's visit week", summary, "\n".join(lines)


def describe(visit_ids: Collection[int]) -> dict[int, WriteupSubject]:
    """The visits with these ids that still exist, as write-up subjects (one query for them all)."""
    visits = db.session.scalars(select(VisitProgramme).where(VisitProgramme.id.in_(list(visit_ids))))
    return {
        visit.id: WriteupSubject(
            kind_label="Visit programme",
            title="A Policy Fellow's visit week",
            starts_at=local_to_utc(datetime.combine(visit.starts_on, visit.day_starts)),
            people=partial(people, visit),
            draft=partial(draft, visit),
            manage_url=url_for("programmes_manage.visit", visit_id=visit.id),
        )
        for visit in visits
    }


def _panel_people(rapid) -> list[tuple[str, str, str]]:
    """(key, name, role) of each expert on the panel, for the Chatham House check."""
    return [(f"expert:{m.expert.id}", m.expert.name, "panel member") for m in rapid.panel if m.expert is not None]


def _panel_draft(rapid) -> tuple[str, str, str]:
    """Title, summary and Markdown body of a rapid-response brief: the question, then each answer in full,
    numbered, with no names (the Chatham House Rule)."""
    answered = sorted((m for m in rapid.panel if m.answered_at is not None), key=lambda m: (m.answered_at, m.id))
    lines = ["## The question", "", rapid.question, ""]
    if rapid.context:
        lines += [rapid.context, ""]
    lines += [
        "## What the panel said",
        "",
        "_Edit the answers below into the brief's findings. Under the Chatham House Rule, report what was said,"
        " not who said it: the check before publishing flags the panel's names._",
        "",
    ]
    for number, member in enumerate(answered, 1):
        lines += [
            f"### Answer {number}",
            "",
            *(f"> {line}" if line else ">" for line in member.answer.splitlines()),
            "",
        ]
    if not answered:
        lines += ["_No answer yet._", ""]
    lines += ["## What follows", "", "_What the department will do with it; follow-ups with the panel._"]
    summary = f"A rapid-response brief drawing on {plural(len(answered), 'written answer')} from researchers."
    return f"Rapid response: {rapid.question}"[:200], summary, "\n".join(lines)


def describe_rapid(rapid_ids: Collection[int]) -> dict[int, WriteupSubject]:
    """The rapid-response questions with these ids that still exist, as write-up subjects."""
    questions = db.session.scalars(
        select(RapidQuestion)
        .where(RapidQuestion.id.in_(list(rapid_ids)))
        .options(selectinload(RapidQuestion.panel).selectinload(PanelMember.expert))
    )
    return {
        rapid.id: WriteupSubject(
            kind_label="Rapid response",
            title=rapid.question,
            starts_at=rapid.deadline_at,
            people=partial(_panel_people, rapid),
            draft=partial(_panel_draft, rapid),
            manage_url=url_for("programmes_manage.rapid_question", rapid_id=rapid.id),
        )
        for rapid in questions
    }
