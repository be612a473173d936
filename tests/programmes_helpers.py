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
