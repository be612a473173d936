"""Importing events from an .ics file (a partner's calendar, say) as drafts.

Reading the upload, carrying it to the confirmation and confirming once are ``core.uploads``'s, as for
every import. Reading the file and matching it against earlier imports gives a preview and changes nothing;
``import_events`` then creates (or refreshes) the drafts in the caller's transaction. Entries are
matched on their UID, stored as ``Event.import_uid``, so importing the same file again does not
duplicate anything: unchanged entries are skipped, changed ones refresh a draft that was imported
earlier, and events already published are left for the organiser to edit by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Tag
from core.timeutil import local_to_utc
from core.uploads import UploadError
from events.models import EVENT_YEARS, Event
from fellows.models import User

#: The fields an import sets on a draft (and compares when the same entry is imported again).
IMPORTED_FIELDS = ("title", "description", "starts_at", "ends_at", "venue_name", "venue_address", "online_url")
DEFAULT_LENGTH = timedelta(hours=1)


class IcsFileError(UploadError):
    """The file as a whole cannot be read as a calendar; the message is safe to show."""


class EntryRejected(ValueError):
    """One entry of the file will not be imported; the message ("it …") says why."""


@dataclass
class ImportProblem:
    """An entry that will not be imported, and why."""

    label: str
    message: str


@dataclass
class ImportItem:
    """One readable entry of the file, and what confirming the import will do with it."""

    uid: str
    title: str
    starts_at: datetime
    ends_at: datetime
    description: str | None = None
    venue_name: str | None = None
    venue_address: str | None = None
    online_url: str | None = None
    topics: list[Tag] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: "create", "update" (refresh an imported draft), "unchanged" or "published" (left alone).
    action: str = "create"
    existing: Event | None = None

    def values(self) -> dict:
        return {name: getattr(self, name) for name in IMPORTED_FIELDS}


@dataclass
class ImportPreview:
    items: list[ImportItem]
    problems: list[ImportProblem]

    @property
    def to_create(self) -> list[ImportItem]:
        return [item for item in self.items if item.action == "create"]

    @property
    def to_update(self) -> list[ImportItem]:
        return [item for item in self.items if item.action == "update"]

    @property
    def has_changes(self) -> bool:
        return bool(self.to_create or self.to_update)


def _label(component, index: int) -> str:
    summary = str(component.get("SUMMARY") or "").strip()
    return f"Entry {index}" + (f" “{summary[:80]}”" if summary else "")


def _as_utc(value: date | datetime, tzid: str | None, zone: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):  # an all-day date: from local midnight
        return local_to_utc(datetime(value.year, value.month, value.day))
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    if tzid:
        # icalendar leaves a time naive when neither the file nor the zone database knows its TZID.
        try:
            return value.replace(tzinfo=ZoneInfo(tzid)).astimezone(UTC)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise EntryRejected(f"its time zone “{tzid}” is unknown") from error
    return value.replace(tzinfo=zone).astimezone(UTC)  # a floating time: read in the configured zone


def _clip(text: str | None, length: int) -> str | None:
    text = (text or "").strip()
    return text[:length] if text else None


def _read_entry(component, zone: ZoneInfo, tags: dict[str, Tag]) -> ImportItem:
    """One VEVENT → an ImportItem; raises EntryRejected with a reason fit for the organiser."""
    if component.errors:
        name, message = component.errors[0]
        raise EntryRejected(f"its {name or 'content'} cannot be read ({message})")
    uid = str(component.get("UID") or "").strip()
    if not uid:
        raise EntryRejected("it has no UID, so importing the file again could not recognise it")
    if len(uid) > 255:
        raise EntryRejected("its UID is longer than 255 characters")
    if component.get("RECURRENCE-ID") is not None or component.get("RRULE") or component.get("RDATE"):
        raise EntryRejected("it is part of a repeating event; repeating events are not imported")
    if str(component.get("STATUS") or "").upper() == "CANCELLED":
        raise EntryRejected("it is cancelled in the source calendar")
    title = str(component.get("SUMMARY") or "").strip()
    if not title:
        raise EntryRejected("it has no title (SUMMARY)")
    if component.get("DTSTART") is None:
        raise EntryRejected("it has no start time (DTSTART)")
    notes: list[str] = []
    start_value = component.DTSTART
    tzid = component["DTSTART"].params.get("TZID")
    starts_at = _as_utc(start_value, tzid, zone)
    if component.get("DTEND") is not None:
        end_value = component.DTEND
        ends_at = _as_utc(end_value, component["DTEND"].params.get("TZID"), zone)
    elif component.get("DURATION") is not None:
        ends_at = starts_at + component.DURATION
    elif not isinstance(start_value, datetime):
        ends_at = _as_utc(start_value + timedelta(days=1), None, zone)
    else:
        ends_at = starts_at + DEFAULT_LENGTH
        notes.append("No end time given: it is set to one hour after the start.")
    if not isinstance(start_value, datetime):
        notes.append("An all-day event: it runs from midnight to midnight until you set its times.")
    if ends_at <= starts_at:
        raise EntryRejected("it ends before it starts")
    if starts_at.year not in EVENT_YEARS or ends_at.year not in EVENT_YEARS:
        raise EntryRejected(f"its dates are outside the years {EVENT_YEARS[0]}–{EVENT_YEARS[-1]}")
    if len(title) > 200:
        notes.append("The title was shortened to 200 characters.")
    location = str(component.get("LOCATION") or "").strip()
    online_url = location if location.startswith(("https://", "http://")) else None
    description = str(component.get("DESCRIPTION") or "").strip()
    source_url = str(component.get("URL") or "").strip()
    if source_url:
        description = f"{description}\n\nImported from {source_url}".strip()
    categories = component.get("CATEGORIES")
    names = [
        str(name)
        for group in (categories if isinstance(categories, list) else [categories])
        if group
        for name in group.cats
    ]
    return ImportItem(
        uid=uid,
        title=title[:200],
        starts_at=starts_at,
        ends_at=ends_at,
        description=description or None,
        venue_name=None if online_url or len(location) > 200 else _clip(location, 200),
        venue_address=_clip(location, 500) if len(location) > 200 and not online_url else None,
        online_url=_clip(online_url, 500),
        topics=[tags[name.strip().lower()] for name in names if name.strip().lower() in tags],
        notes=notes,
    )


def read_calendar(text: str, zone: ZoneInfo, tags: list[Tag]) -> tuple[list[ImportItem], list[ImportProblem]]:
    """Every VEVENT of the file's text (``core.uploads.read_upload``) that can be read, and a problem for
    each one that cannot."""
    if "BEGIN:VCALENDAR" not in text.upper():
        raise IcsFileError("The file is not an .ics calendar: it has no BEGIN:VCALENDAR.")
    if "END:VCALENDAR" not in text.upper():
        raise IcsFileError("The file ends too early (no END:VCALENDAR): it was probably cut short. Export it again.")
    if len(re.findall(r"(?im)^BEGIN:VEVENT\s*$", text)) != len(re.findall(r"(?im)^END:VEVENT\s*$", text)):
        raise IcsFileError("The file is damaged: an entry is not closed (BEGIN:VEVENT without END:VEVENT).")
    try:
        calendars = icalendar.Calendar.from_ical(text, multiple=True)
    except ValueError as error:
        raise IcsFileError(f"The file could not be read as a calendar: {error}") from error
    by_name = {tag.name.lower(): tag for tag in tags}
    items: list[ImportItem] = []
    problems: list[ImportProblem] = []
    seen: set[str] = set()
    index = 0
    for calendar in calendars:
        for component in calendar.walk("VEVENT"):
            index += 1
            label = _label(component, index)
            try:
                item = _read_entry(component, zone, by_name)
            except EntryRejected as error:
                problems.append(ImportProblem(label, f"Not imported: {error}."))
                continue
            except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as error:
                # icalendar reports values it could not read lazily, as errors of these kinds; dates near
                # the ends of the calendar (year 1, year 9999) overflow when moved to UTC or lengthened.
                problems.append(ImportProblem(label, f"Not imported: it cannot be read ({error})."))
                continue
            if item.uid in seen:
                problems.append(ImportProblem(label, "Not imported: its UID appears earlier in the file."))
                continue
            seen.add(item.uid)
            items.append(item)
    if index == 0:
        raise IcsFileError("The file holds no events (no VEVENT entries).")
    return items, problems


def _differs(item: ImportItem, event: Event) -> bool:
    return any(getattr(event, name) != value for name, value in item.values().items()) or (
        {tag.id for tag in item.topics} != {tag.id for tag in event.topics}
    )


def preview_import(session: Session, text: str, zone: ZoneInfo) -> ImportPreview:
    """Read the file's text and decide, entry by entry, what confirming would do. Changes nothing."""
    tags = list(session.scalars(select(Tag)))
    items, problems = read_calendar(text, zone, tags)
    uids = [item.uid for item in items]
    existing = (
        {event.import_uid: event for event in session.scalars(select(Event).where(Event.import_uid.in_(uids)))}
        if uids
        else {}
    )
    for item in items:
        event = existing.get(item.uid)
        item.existing = event
        if event is None:
            item.action = "create"
        elif event.state != "draft":
            item.action = "published"
        else:
            item.action = "update" if _differs(item, event) else "unchanged"
    return ImportPreview(items=items, problems=problems)


def import_events(actor: User, session: Session, preview: ImportPreview) -> tuple[list[Event], list[Event]]:
    """Create drafts for new entries and refresh earlier imported drafts; returns (created, updated).

    Flushes but does not commit: the view commits once, so an import is saved whole or not at all.
    """
    created: list[Event] = []
    updated: list[Event] = []
    for item in preview.to_create:
        event = Event(
            state="draft",
            kind="other",
            audience="fellows",
            import_uid=item.uid,
            created_by_id=actor.id,
            **item.values(),
        )
        event.topics = list(item.topics)
        session.add(event)
        created.append(event)
    for item in preview.to_update:
        event = item.existing
        for name, value in item.values().items():
            setattr(event, name, value)
        event.topics = list(item.topics)
        updated.append(event)
    session.flush()
    return created, updated
