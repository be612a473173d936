"""'Add to Google Calendar' and 'Add to Outlook' links: the event prefilled in the provider's web form."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from events.calendar.ical import event_description, event_location, whole_second
from events.models import Event


def _utc_stamp(value: datetime) -> str:
    return whole_second(value).strftime("%Y%m%dT%H%M%SZ")


def google_calendar_link(event: Event, *, url: str, tzid: str) -> str:
    """ "Add to Google Calendar": a prefilled event form on calendar.google.com."""
    query = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": f"{_utc_stamp(event.starts_at)}/{_utc_stamp(event.ends_at)}",
        "details": _short(event_description(event, url=url)),
        "location": event_location(event),
        "ctz": tzid,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def outlook_calendar_link(event: Event, *, url: str, work: bool = False) -> str:
    """ "Add to Outlook": a prefilled event on Outlook.com, or Microsoft 365 for ``work`` accounts."""
    host = "outlook.office.com" if work else "outlook.live.com"
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": event.title,
        "startdt": whole_second(event.starts_at).isoformat().replace("+00:00", "Z"),
        "enddt": whole_second(event.ends_at).isoformat().replace("+00:00", "Z"),
        "body": _short(event_description(event, url=url)),
        "location": event_location(event),
    }
    return f"https://{host}/calendar/0/deeplink/compose?" + urlencode(query)


def _short(text: str, limit: int = 1200) -> str:
    """Calendar links carry the description in the URL, which browsers and servers cap in length."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
