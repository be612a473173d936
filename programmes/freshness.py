"""When the programme's signed-in pages change with no write to the database: a meeting starts or ends (it
moves from planned to held, feedback opens), or a rapid-response question's deadline passes.
``core.personal_pages`` asks this once per generation of the data, so a kept page never outlives such a
moment. (Days are its own: a kept page is never answered on another day.)"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select

from extensions import db
from programmes.models import Meeting, RapidQuestion


def next_change(now: datetime) -> datetime | None:
    """The next start or end of a meeting, or deadline of a rapid question, after ``now`` (one query)."""
    soonest = [
        select(func.min(case((Meeting.starts_at > now, Meeting.starts_at)))).scalar_subquery(),
        select(func.min(case((Meeting.ends_at > now, Meeting.ends_at)))).scalar_subquery(),
        select(func.min(case((RapidQuestion.deadline_at > now, RapidQuestion.deadline_at)))).scalar_subquery(),
    ]
    row = db.session.execute(select(*soonest)).one()
    return min((moment for moment in row if moment is not None), default=None)
