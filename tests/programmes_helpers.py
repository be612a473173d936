"""Helpers shared by the programme tests."""

from __future__ import annotations

from datetime import date, timedelta


def visit_form(fellow_id: int, *, weeks_ahead: int = 3, **changes) -> dict[str, str]:
    """The organiser's form for a Monday-to-Friday visit ``weeks_ahead`` weeks from now, with ``changes``."""
    today = date.today()
    start = today + timedelta(days=7 * weeks_ahead - today.weekday())
    return {
        "fellow_id": str(fellow_id),
        "starts_on": start.isoformat(),
        "ends_on": (start + timedelta(days=4)).isoformat(),
        "day_starts": "09:00",
        "day_ends": "17:30",
        "lunch_starts": "12:30",
        "lunch_ends": "13:30",
        "meeting_minutes": "45",
        "max_per_day": "6",
        "reminder_after_days": "5",
    } | changes


def visit_with_meetings(app, fellow_id: int, expert_ids: list[int], starts: list) -> dict:
    """A visit of the fellow around today with an hour's meeting with each expert at each of ``starts``
    (aware datetimes); returns the visit's id and the meetings' ids, in order."""
    from core.timeutil import local_today
    from extensions import db
    from programmes.models import Expert, ExpertInvitation, Meeting, VisitProgramme

    with app.app_context():
        today = local_today()
        visit = VisitProgramme(
            fellow_id=fellow_id, starts_on=today - timedelta(days=9), ends_on=today + timedelta(days=9)
        )
        db.session.add(visit)
        meetings = []
        for expert_id, start in zip(expert_ids, starts, strict=True):
            invitation = ExpertInvitation(programme=visit, expert=db.session.get(Expert, expert_id), status="accepted")
            meeting = Meeting(
                programme=visit, invitation=invitation, starts_at=start, ends_at=start + timedelta(hours=1)
            )
            db.session.add(meeting)
            meetings.append(meeting)
        db.session.commit()
        return {"visit": visit.id, "meetings": [meeting.id for meeting in meetings]}
