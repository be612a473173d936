"""iCalendar (RFC 5545) output: pure, typed functions from events to ``icalendar`` components.

Views decide which events a requester may see; this module only turns them into calendar data, the
same way for the one-event download, the feeds and the email invitations. Every event keeps one UID
for its whole life (``event_uid``); its SEQUENCE comes from the event, which the events services bump on
every change that matters to an attendee, so clients replace an entry rather than add a second one.

Times carry a TZID for the configured zone and the calendar holds a matching VTIMEZONE generated from
the zone database, so that an event at 12:30 London time reads as 12:30 in every client, winter or
summer. Feeds can hold thousands of events; ``feed_bytes`` serialises each event once per distinct
content (an LRU cache keyed by the plain data) and gives the same bytes as ``build_calendar``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import icalendar

from core.markdown import markdown_to_text
from events.speakers import speaker_details

if TYPE_CHECKING:
    from events.models import Event

PRODID = "-//Policy Fellowship//Events 1.0//EN"
#: How often subscribed clients are asked to poll a feed (REFRESH-INTERVAL, X-PUBLISHED-TTL).
REFRESH_INTERVAL = timedelta(hours=1)
STATUSES = ("CONFIRMED", "TENTATIVE", "CANCELLED")


@dataclass(frozen=True)
class EventData:
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
    (``events.calendar.settings.calendar_settings()`` builds it from the app's)."""

    #: The zone times are written in (with its VTIMEZONE), e.g. "Europe/London".
    tzid: str
    #: The right-hand side of every UID; changing it would duplicate every event in subscribed calendars.
    uid_domain: str
    organizer_email: str
    organizer_name: str


def event_uid(event: Event, settings: CalendarSettings) -> str:
    """The event's iCalendar UID: the same in every file, feed and email for the event's whole life."""
    return f"{event.uid}@{settings.uid_domain}"


def event_location(event: Event, *, private_details: bool = False) -> str:
    """Venue name and address; the online link only for people who may join (attendees, organisers)."""
    parts = [part.strip() for part in (event.venue_name, event.venue_address) if part and part.strip()]
    if event.online_url:
        parts.append(event.online_url if private_details else "Online")
    return ", ".join(parts)


@lru_cache(maxsize=20000)
def _plain_text(markdown: str) -> str:
    """Markdown as plain text, cached: a feed renders the same descriptions on every poll."""
    # markdown_to_text leaves HTML entities (&amp;) behind; calendars show text, not HTML.
    return html.unescape(markdown_to_text(markdown))


def event_description(event: Event, *, url: str, private_details: bool = False) -> str:
    """Plain text for DESCRIPTION and the calendar links: what, who, where to join, and the event page."""
    blocks: list[str] = []
    if event.state == "cancelled":
        reason = (event.cancellation_reason or "").strip()
        blocks.append("This event has been cancelled." + (f"\n{reason}" if reason else ""))
    if event.summary:
        blocks.append(event.summary.strip())
    if event.description:
        blocks.append(_plain_text(event.description))
    if event.speakers:
        lines = ["Speakers:"]
        # A calendar file goes to whoever holds it, so it shows speakers as to an anonymous visitor.
        lines.extend(f"- {speaker_details(speaker).text}" for speaker in event.speakers)
        blocks.append("\n".join(lines))
    if event.host:
        blocks.append(f"Hosted by {event.host.name}.")
    if event.online_url and private_details:
        blocks.append(f"Join online: {event.online_url}")
    blocks.append(f"Details and booking: {url}")
    return "\n\n".join(blocks)


def event_data(
    event: Event,
    *,
    settings: CalendarSettings,
    url: str,
    status_override: str | None = None,
    for_organiser: bool = False,
    private_details: bool = False,
    attendee: tuple[str, str] | None = None,
    stamp: datetime | None = None,
    summary_prefix: str | None = None,
) -> EventData:
    """The plain content of an event's VEVENT.

    ``status_override`` marks a personal entry (TENTATIVE for a waitlisted place or an invitation);
    a cancelled event is CANCELLED whatever the override says. ``for_organiser`` marks drafts;
    ``summary_prefix`` says why a personal entry is tentative ("Waiting list:", "Invited:").
    ``stamp`` is DTSTAMP: the time an emailed invitation is made; feeds leave it to LAST-MODIFIED so
    that the same state always gives the same bytes (and the same ETag).
    """
    if status_override is not None and status_override not in STATUSES:
        raise ValueError(f"unknown STATUS {status_override!r}")
    tzid = settings.tzid
    zone = ZoneInfo(tzid)
    summary = event.title
    status = status_override or "CONFIRMED"
    if event.state == "cancelled":
        status = "CANCELLED"
    elif event.state == "draft":
        status = "TENTATIVE"
        if for_organiser:
            summary = f"[Draft] {summary}"
    if summary_prefix:
        summary = f"{summary_prefix} {summary}"
    modified = whole_second(event.updated_at or event.created_at)
    return EventData(
        uid=event_uid(event, settings),
        summary=summary,
        description=event_description(event, url=url, private_details=private_details),
        location=event_location(event, private_details=private_details),
        url=url,
        tzid=tzid,
        start=_wall_clock(event.starts_at, zone),
        end=_wall_clock(event.ends_at, zone),
        stamp=whole_second(stamp) if stamp else modified,
        created=whole_second(event.created_at) if event.created_at else None,
        last_modified=modified,
        sequence=event.sequence or 0,
        status=status,
        organizer_email=settings.organizer_email,
        organizer_name=settings.organizer_name,
        categories=tuple(topic.name for topic in event.topics),
        transparent=status == "TENTATIVE",
        attendee=attendee,
    )


def whole_second(value: datetime) -> datetime:
    """In UTC, without microseconds: what every iCalendar time is written as."""
    return value.astimezone(UTC).replace(microsecond=0)


def _wall_clock(value: datetime, zone: ZoneInfo) -> datetime:
    """The time in the configured zone, or in UTC in the autumn hour that happens twice.

    RFC 5545 (3.3.5) says a TZID time in that hour means its first occurrence, but parsers differ
    (dateutil, under vobject, takes the second), so both are written in UTC, which nobody misreads.
    """
    local = whole_second(value).astimezone(zone)
    ambiguous = local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()
    return whole_second(value) if ambiguous else local


def vevent_from_data(data: EventData) -> icalendar.Event:
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


def event_to_vevent(event: Event, **options) -> icalendar.Event:
    """One event as a VEVENT; ``options`` are those of ``event_data`` (settings and url are required)."""
    return vevent_from_data(event_data(event, **options))


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
def _vevent_bytes(data: EventData) -> bytes:
    return vevent_from_data(data).to_ical()


def feed_bytes(entries: Sequence[EventData], name: str, *, tzid: str) -> bytes:
    """The same bytes as ``build_calendar([vevent_from_data(e) ...], name).to_ical()``, made faster.

    A feed is polled far more often than its events change, so each event's VEVENT is serialised
    once per distinct content and reused.
    """
    head = _calendar_head(name, tzid, None, (entry.start for entry in entries)).to_ical()
    end = b"END:VCALENDAR\r\n"
    assert head.endswith(end)
    return b"".join([head[: -len(end)], *(_vevent_bytes(entry) for entry in entries), end])


def ics_attachment(
    event: Event, *, settings: CalendarSettings, url: str, method: str, attendee: tuple[str, str] | None = None
) -> tuple[str, str, bytes]:
    """An emailed invitation (METHOD:REQUEST) or cancellation (METHOD:CANCEL) for ``queue_email``.

    A cancelled booking is sent as a CANCEL of the event for that attendee: their calendar removes it.
    """
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported METHOD {method!r}")
    vevent = event_to_vevent(
        event,
        settings=settings,
        url=url,
        status_override="CANCELLED" if method == "CANCEL" else None,
        private_details=method == "REQUEST",
        attendee=attendee,
        stamp=datetime.now(UTC),
    )
    data = build_calendar([vevent], event.title, tzid=settings.tzid, method=method).to_ical()
    mimetype = f"text/calendar; method={method}; charset=utf-8"
    return ("invite.ics" if method == "REQUEST" else "cancel.ics"), mimetype, data
