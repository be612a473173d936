"""Plain-text descriptions of an event's time and place, for pages, emails and exports alike.

They return plain strings (not markup), so HTML templates escape them and text emails show them as typed.
"""

from __future__ import annotations

from core.timeutil import DATETIME_FORMAT, to_local
from events.models import Event


def event_when(event: Event) -> str:
    """ "Wed 12 Oct 2016, 12:30–14:00" in the configured zone; the end date is shown when it differs."""
    # Each instant converted once: a list page shows this for every row.
    starts, ends = to_local(event.starts_at), to_local(event.ends_at)
    end = ends.strftime("%H:%M") if starts.date() == ends.date() else ends.strftime(DATETIME_FORMAT)
    return f"{starts.strftime(DATETIME_FORMAT)}–{end}"


def event_where(event: Event) -> str:
    parts = [part for part in (event.venue_name, event.venue_address) if part]
    if event.online_url:
        parts.append("Online")
    return ", ".join(parts) if parts else "To be announced"
