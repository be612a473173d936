"""What changed in an event, as display strings, and the audit record of published events."""

from __future__ import annotations

from datetime import datetime

from core.timeutil import format_datetime
from events.models import AUDIENCES, EVENT_KINDS, Event, EventChange
from extensions import db
from fellows.models import Organisation, User

FIELD_LABELS = {
    "title": "Title",
    "kind": "Kind",
    "summary": "Summary",
    "description": "Description",
    "starts_at": "Starts",
    "ends_at": "Ends",
    "venue_name": "Venue",
    "venue_address": "Address",
    "online_url": "Online link",
    "host_id": "Host",
    "capacity": "Capacity",
    "registration_opens_at": "Registration opens",
    "registration_closes_at": "Registration closes",
    "audience": "Audience",
    "topics": "Topics",
    "speakers": "Speakers",
    "state": "Status",
}

#: The plain columns an organiser edits through the event form.
EVENT_FIELDS = (
    "title",
    "kind",
    "summary",
    "description",
    "starts_at",
    "ends_at",
    "venue_name",
    "venue_address",
    "online_url",
    "host_id",
    "capacity",
    "registration_opens_at",
    "registration_closes_at",
    "audience",
)

#: Changes that matter to someone who has the event in their calendar: they bump SEQUENCE and are emailed.
TIME_AND_PLACE = frozenset({"starts_at", "ends_at", "venue_name", "venue_address", "online_url"})

#: Long texts are cut in the record: it says that they changed, not every word.
_MAX_SHOWN = 200


def display_value(field: str, value) -> str:
    """One value of an event field as an organiser would read it."""
    if value is None or value == "":
        return "unlimited" if field == "capacity" else "(none)"
    if isinstance(value, datetime):
        return format_datetime(value)
    if field == "host_id":
        organisation = db.session.get(Organisation, value)
        return organisation.name if organisation else "(deleted organisation)"
    if field == "kind":
        return EVENT_KINDS.get(value, value)
    if field == "audience":
        return AUDIENCES.get(value, value)
    text = str(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _speaker_key(honorific, name, role, organisation_id, fellow_id) -> tuple:
    return (honorific or None, name, role or None, organisation_id, fellow_id)


def _speaker_text(key: tuple) -> str:
    honorific, name, role, organisation_id, _ = key
    organisation = db.session.get(Organisation, organisation_id) if organisation_id else None
    extra = ", ".join(part for part in (role, organisation.name if organisation else None) if part)
    shown = f"{honorific} {name}" if honorific else name
    return f"{shown} ({extra})" if extra else shown


def diff_event(event: Event, data: dict) -> dict[str, list[str]]:
    """{field: [old, new]} for each field in ``data`` whose value differs from the event's."""
    changes: dict[str, list[str]] = {}
    for field in EVENT_FIELDS:
        if field in data and getattr(event, field) != data[field]:
            changes[field] = [display_value(field, getattr(event, field)), display_value(field, data[field])]
    if "topics" in data:
        old_topics, new_topics = sorted(t.name for t in event.topics), sorted(t.name for t in data["topics"])
        if old_topics != new_topics:
            changes["topics"] = [", ".join(old_topics) or "(none)", ", ".join(new_topics) or "(none)"]
    if "speakers" in data:
        old = [_speaker_key(s.honorific, s.name, s.role, s.organisation_id, s.fellow_id) for s in event.speakers]
        new = [
            _speaker_key(
                row.get("honorific"),
                row["name"],
                row.get("role"),
                row["organisation"].id if row.get("organisation") else None,
                row.get("fellow_id"),
            )
            for row in data["speakers"]
        ]
        if old != new:
            changes["speakers"] = [
                "; ".join(map(_speaker_text, old)) or "(none)",
                "; ".join(map(_speaker_text, new)) or "(none)",
            ]
    return changes


def record_change(event: Event, user: User | None, changes: dict, summary: str | None = None) -> EventChange | None:
    """Add an audit entry for a published or cancelled event (drafts have no audience yet)."""
    if not changes or (event.state == "draft" and "state" not in changes):
        return None
    if summary is None:
        summary = "Changed " + ", ".join(FIELD_LABELS.get(f, f).lower() for f in changes)
    entry = EventChange(event_id=event.id, user_id=user.id if user else None, changes=changes, summary=summary[:300])
    db.session.add(entry)
    return entry
