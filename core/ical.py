"""iCalendar (RFC 5545) building shared by every area: pure, typed functions from plain entry data
(``EntryData``: an event, a programme meeting) to ``icalendar`` components and bytes.

Times carry a TZID for the configured zone and each calendar holds a matching VTIMEZONE generated from
the zone database, so an entry at 12:30 London time reads as 12:30 in every client, winter or summer.
Feeds can hold thousands of entries; ``feed_bytes`` serialises each once per distinct content (an
LRU cache keyed by the plain data) and gives the same bytes as ``build_calendar``.

Nothing here reads the app, a request or the database: settings come in as arguments, so it is tested
without an app. ``events.calendar.ical`` turns events into entries; ``programmes.meetings`` meetings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import icalendar

PRODID = "-//Policy Fellowship//Events 1.0//EN"
#: How often subscribed clients are asked to poll a feed (REFRESH-INTERVAL, X-PUBLISHED-TTL).
REFRESH_INTERVAL = timedelta(hours=1)
STATUSES = ("CONFIRMED", "TENTATIVE", "CANCELLED")


@dataclass(frozen=True)
class EntryData:
    """Everything one VEVENT says, as plain hashable values (the cache key of its serialised form)."""

    uid: str
    summary: str
    description: str
    location: str
    url: str
    tzid: str
    start: datetime
    end: datetime
    stamp: datetime
    created: datetime | None
    last_modified: datetime
    sequence: int
    status: str
    organizer_email: str
    organizer_name: str
    categories: tuple[str, ...] = ()
    #: Waitlisted places and invitations should not block the person's free/busy time.
    transparent: bool = False
    #: (email, name) of the person an emailed invitation is addressed to.
    attendee: tuple[str, str] | None = None


@dataclass(frozen=True)
class CalendarSettings:
    """What a deployment decides about its calendar files; passed in, as this module reads no configuration
    (``core.ical_settings.calendar_settings()`` builds it from the app's)."""

    #: The zone times are written in (with its VTIMEZONE), e.g. "Europe/London".
    tzid: str
    #: The right-hand side of every UID; changing it would duplicate every event in subscribed calendars.
    uid_domain: str
    organizer_email: str
    organizer_name: str


def whole_second(value: datetime) -> datetime:
    """In UTC, without microseconds: what every iCalendar time is written as."""
    return value.astimezone(UTC).replace(microsecond=0)


def wall_clock(value: datetime, zone: ZoneInfo) -> datetime:
    """The time in the configured zone, or in UTC in the autumn hour that happens twice.

    RFC 5545 (3.3.5) says a TZID time in that hour means its first occurrence, but parsers differ
    (dateutil, under vobject, takes the second), so both are written in UTC, which nobody misreads.
    """
    local = whole_second(value).astimezone(zone)
    ambiguous = local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()
    return whole_second(value) if ambiguous else local


def vevent_from_data(data: EntryData) -> icalendar.Event:
    """An ``icalendar`` VEVENT from plain event data."""
    vevent = icalendar.Event()
    vevent.add("uid", data.uid)
    vevent.add("dtstamp", data.stamp)
    vevent.add("dtstart", data.start)
    vevent.add("dtend", data.end)
    if data.created:
        vevent.add("created", data.created)
    vevent.add("last-modified", data.last_modified)
    vevent.add("sequence", data.sequence)
    vevent.add("status", data.status)
    vevent.add("summary", data.summary)
    vevent.add("description", data.description)
    if data.location:
        vevent.add("location", data.location)
    vevent.add("url", data.url)
    organizer = icalendar.vCalAddress(f"mailto:{data.organizer_email}")
    organizer.params["CN"] = data.organizer_name
    vevent.add("organizer", organizer)
    if data.attendee:
        email, name = data.attendee
        attendee = icalendar.vCalAddress(f"mailto:{email}")
        attendee.params.update(
            {"CN": name, "ROLE": "REQ-PARTICIPANT", "PARTSTAT": "ACCEPTED", "RSVP": "FALSE", "CUTYPE": "INDIVIDUAL"}
        )
        vevent.add("attendee", attendee)
    if data.categories:
        vevent.add("categories", list(data.categories))
    vevent.add("transp", "TRANSPARENT" if data.transparent else "OPAQUE")
    return vevent


@lru_cache(maxsize=32)
def _vtimezone(tzid: str, first: date, last: date) -> icalendar.Timezone:
    """The zone's VTIMEZONE from the zone database, with each onset in an RDATE of its own.

    icalendar lists an observance's onsets in one comma-separated RDATE, but ical.js (Thunderbird)
    reads only the first value of each RDATE and skips DTSTART when RDATEs are present, so it would
    get every later year wrong. One onset per RDATE, DTSTART's included, reads the same everywhere.
    """
    timezone = icalendar.Timezone.from_tzid(tzid, first_date=first, last_date=last)
    for observance in timezone.subcomponents:
        rdates = observance.get("RDATE")
        if rdates is None:
            continue
        onsets = [observance.DTSTART] + [
            value.dt for group in (rdates if isinstance(rdates, list) else [rdates]) for value in group.dts
        ]
        del observance["RDATE"]
        for onset in sorted(set(onsets)):
            observance.add("rdate", onset)
    return timezone


def _timezone_range(starts: Iterable[datetime]) -> tuple[date, date]:
    """Whole years around the events, so the VTIMEZONE covers each of them (and stays cacheable)."""
    years = [value.year for value in starts]
    first = max(min(years, default=date.today().year) - 1, 1970)
    last = max(years, default=date.today().year) + 2
    return date(first, 1, 1), date(last, 1, 1)


def _calendar_head(name: str, tzid: str, method: str | None, starts: Iterable[datetime]) -> icalendar.Calendar:
    # The calendar's NAME is one line (icalendar refuses a line break in it, unlike in SUMMARY), and a
    # one-event file is named after the event, whose title may come from an imported file with breaks.
    name = " ".join(name.split())
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", tzid)
    if method is None:
        # Subscribed feeds: a hint for how often to poll (RFC 7986, and Outlook's older property).
        calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", icalendar.vDuration(REFRESH_INTERVAL).to_ical().decode())
    starts = list(starts)
    if starts:
        first, last = _timezone_range(starts)
        calendar.add_component(_vtimezone(tzid, first, last))
    return calendar


def build_calendar(
    events: Sequence[icalendar.Event], name: str, *, tzid: str, method: str | None = None
) -> icalendar.Calendar:
    """A VCALENDAR holding ``events`` (VEVENTs) and the VTIMEZONE of the zone ``tzid``.

    ``method`` is None for downloads and feeds, "REQUEST" or "CANCEL" for emailed invitations.
    """
    calendar = _calendar_head(name, tzid, method, (vevent.DTSTART for vevent in events))
    for vevent in events:
        calendar.add_component(vevent)
    return calendar


@lru_cache(maxsize=20000)
def _vevent_bytes(data: EntryData) -> bytes:
    return vevent_from_data(data).to_ical()


def feed_bytes(entries: Sequence[EntryData], name: str, *, tzid: str) -> bytes:
    """The same bytes as ``build_calendar([vevent_from_data(e) ...], name).to_ical()``, made faster.

    A feed is polled far more often than its events change, so each event's VEVENT is serialised
    once per distinct content and reused.
    """
    head = _calendar_head(name, tzid, None, (entry.start for entry in entries)).to_ical()
    end = b"END:VCALENDAR\r\n"
    assert head.endswith(end)
    return b"".join([head[: -len(end)], *(_vevent_bytes(entry) for entry in entries), end])
