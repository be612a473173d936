"""iCalendar (RFC 5545) building shared by every area: pure, typed functions from plain entry data
(``EntryData``: an event, a programme meeting) to ``icalendar`` components and bytes.

Times carry a TZID for the configured zone and each calendar holds a matching VTIMEZONE, derived from the
zone database in the RRULE form Outlook and Google write (valid for any year), so an entry at 12:30
London time reads as 12:30 in every client, winter or summer.
Feeds can hold thousands of entries; ``feed_bytes`` serialises each once per distinct content (keyed
by the plain data, in a store the caller passes — the shared cache — or in this process's memory) and
gives the same bytes as ``build_calendar``.

Nothing here reads the app, a request or the database: settings come in as arguments, so it is tested
without an app. ``events.calendar.ical`` turns events into entries; ``programmes.visits.timetable.queries`` meetings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Protocol
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


#: RRULE weekday names, Monday first as ``date.weekday()`` counts.
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
#: The year the observances start in, as Outlook and Google write them.
_RULE_EPOCH = 1970
#: A derived rule must give the zone database's own changes in this many years from the current one
#: (enough for each weekday to fall on every date that matters, leap years included).
_RULE_CHECK_YEARS = 8
#: Zones whose clocks follow no weekday rule list their changes from 1970 to this many years ahead.
_ONSET_LIST_YEARS = 20


class _YearlyRule(icalendar.vRecur):
    """An RRULE written FREQ;BYMONTH;BYDAY, the order Outlook and Google write (icalendar puts BYDAY first)."""

    canonical_order = ("FREQ", "BYMONTH", "BYDAY")


@dataclass(frozen=True)
class _ClockChange:
    """One change of a zone's clocks, as a VTIMEZONE observance states it."""

    #: The wall-clock time of the change, in the offset it leaves (RFC 5545 3.6.5: DTSTART).
    local: datetime
    offset_from: timedelta
    offset_to: timedelta
    name: str

    def shape(self) -> tuple:
        """What must be the same every year for one RRULE to describe the change (all but the day)."""
        return self.local.month, self.local.time(), self.offset_from, self.offset_to, self.name


def _clock_changes(zone: ZoneInfo, year: int) -> list[_ClockChange]:
    """The changes of the zone's clocks in ``year`` (UTC), from the zone database, in order."""
    changes = []
    day = datetime(year, 1, 1, tzinfo=UTC)
    offset = day.astimezone(zone).utcoffset()
    while day.year == year:
        following = day + timedelta(days=1)
        following_offset = following.astimezone(zone).utcoffset()
        if following_offset != offset:
            # Bisect the day to the second the offset changes.
            before, after = 0, 86400
            while after - before > 1:
                middle = (before + after) // 2
                if (day + timedelta(seconds=middle)).astimezone(zone).utcoffset() == offset:
                    before = middle
                else:
                    after = middle
            onset = day + timedelta(seconds=after)
            local = (onset + offset).replace(tzinfo=None)
            changes.append(_ClockChange(local, offset, following_offset, onset.astimezone(zone).tzname() or ""))
        day, offset = following, following_offset
    return changes


def _bydays(day: datetime) -> list[str]:
    """The BYDAY values that name this day in its month: "-1SU" if it is the last Sunday, then "4SU" etc."""
    weekday = _WEEKDAYS[day.weekday()]
    ordinals = [-1] if (day + timedelta(days=7)).month != day.month else []
    ordinals.append((day.day - 1) // 7 + 1)
    return [f"{ordinal}{weekday}" for ordinal in ordinals]


def _first_onset(month: int, byday: str, at: datetime) -> datetime:
    """The first day of ``_RULE_EPOCH`` that ``BYMONTH=month;BYDAY=byday`` gives, at the time of ``at``."""
    ordinal, weekday = int(byday[:-2]), _WEEKDAYS.index(byday[-2:])
    if ordinal > 0:
        first = date(_RULE_EPOCH, month, 1)
        day = first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (ordinal - 1))
    else:
        last = date(_RULE_EPOCH + month // 12, month % 12 + 1, 1) - timedelta(days=1)
        day = last - timedelta(days=(last.weekday() - weekday) % 7)
    return datetime.combine(day, at.time())


def _yearly_rules(years: list[list[_ClockChange]]) -> list[tuple[_ClockChange, str]] | None:
    """The first year's clock changes, each with the BYDAY that repeats it in every year of ``years``,
    or None if no weekday rule does (a zone that changes by other rules, or is about to change them)."""
    if any(len(changes) != 2 for changes in years):
        return None
    rules = []
    for index, change in enumerate(years[0]):
        if any(changes[index].shape() != change.shape() for changes in years):
            return None
        bydays = [byday for byday in _bydays(change.local) if all(byday in _bydays(c[index].local) for c in years)]
        if not bydays:
            return None
        rules.append((change, bydays[0]))
    return rules


def _observance(change: _ClockChange, start: datetime) -> icalendar.TimezoneStandard | icalendar.TimezoneDaylight:
    # The observance with the larger offset is daylight time, whatever the zone database calls it
    # (it counts Irish winter time as the "daylight" one).
    daylight = change.offset_to > change.offset_from
    observance = icalendar.TimezoneDaylight() if daylight else icalendar.TimezoneStandard()
    observance.add("dtstart", start)
    observance.add("tzoffsetfrom", change.offset_from)
    observance.add("tzoffsetto", change.offset_to)
    observance.add("tzname", change.name)
    return observance


@lru_cache(maxsize=32)
def _vtimezone(tzid: str, year: int) -> icalendar.Timezone:
    """The zone's VTIMEZONE in the form Outlook and Google write: an observance per clock change, from
    1970 and repeated by an RRULE (``FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU``), so it holds for any year.

    The rule is derived from ``year``'s changes in the zone database (month, weekday of the month, wall-clock
    time), so any configured zone works: Europe/London changes on the last Sundays of March and October,
    America/New_York on the second Sunday of March and the first of November. It is the zone's current
    rule for every year, as in the files those clients write. A zone without changes (UTC, Asia/Tokyo)
    gets one STANDARD observance. A zone whose changes follow no weekday rule (e.g. Asia/Jerusalem) keeps
    the zone database's changes from 1970 to twenty years ahead, each onset in an RDATE of its own, since
    ical.js (Thunderbird) reads only the first value of an RDATE.
    """
    zone = ZoneInfo(tzid)
    years = [_clock_changes(zone, year + n) for n in range(_RULE_CHECK_YEARS)]
    timezone = icalendar.Timezone()
    timezone.add("tzid", tzid)
    if not any(years):
        now = datetime(year, 1, 1, tzinfo=UTC).astimezone(zone)
        offset = now.utcoffset() or timedelta(0)
        start = datetime(_RULE_EPOCH, 1, 1)
        timezone.add_component(_observance(_ClockChange(start, offset, offset, now.tzname() or ""), start))
        return timezone
    rules = _yearly_rules(years)
    if rules is None:
        return _vtimezone_onsets(tzid, date(_RULE_EPOCH, 1, 1), date(year + _ONSET_LIST_YEARS, 1, 1))
    for change, byday in rules:
        observance = _observance(change, _first_onset(change.local.month, byday, change.local))
        observance.add("rrule", _YearlyRule(FREQ="YEARLY", BYMONTH=change.local.month, BYDAY=byday))
        timezone.add_component(observance)
    return timezone


def _vtimezone_onsets(tzid: str, first: date, last: date) -> icalendar.Timezone:
    """The zone's VTIMEZONE from the zone database between two dates, with each onset in an RDATE of its own.

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


def _calendar_head(name: str, tzid: str, method: str | None, has_entries: bool) -> icalendar.Calendar:
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
    if has_entries:
        # The zone's rules are read for the current year, but the VTIMEZONE of a zone whose clocks follow
        # a weekday rule does not depend on it (nor on the entries), so a feed's bytes stay the same.
        calendar.add_component(_vtimezone(tzid, datetime.now(UTC).year))
    return calendar


def build_calendar(
    events: Sequence[icalendar.Event], name: str, *, tzid: str, method: str | None = None
) -> icalendar.Calendar:
    """A VCALENDAR holding ``events`` (VEVENTs) and the VTIMEZONE of the zone ``tzid``.

    ``method`` is None for downloads and feeds, "REQUEST" or "CANCEL" for emailed invitations.
    """
    calendar = _calendar_head(name, tzid, method, bool(events))
    for vevent in events:
        calendar.add_component(vevent)
    return calendar


#: Octets a folded line holds before its line break (RFC 5545 3.1: at most 75 with the leading space).
_FOLD_AT = 74


def _folded(line: str) -> bytes:
    """``line`` in UTF-8, folded exactly as icalendar folds it — at most 75 octets a line, never inside a
    character, nor between a backslash or caret and the character it escapes — at slicing speed (icalendar
    weighs each character alone, which was half the time of serialising a feed)."""
    data = line.encode()
    if len(data) <= _FOLD_AT:
        return data
    chunks, start = [], 0
    while len(data) - start > _FOLD_AT:
        end = start + _FOLD_AT
        while data[end] & 0xC0 == 0x80:  # a UTF-8 continuation byte: fold before the character instead
            end -= 1
        if data[end - 1] in b"\\^" and end - 1 > start:  # the escape starts the next line, with what it escapes
            end -= 1
        chunks.append(data[start:end])
        start = end
    chunks.append(data[start:])
    return b"\r\n ".join(chunks)


def component_bytes(component: icalendar.cal.Component) -> bytes:
    """The same bytes as ``component.to_ical()``, folded faster (``_folded``)."""
    return b"".join(_folded(line) + b"\r\n" for line in component.content_lines() if line)


@lru_cache(maxsize=20000)
def _vevent_bytes(data: EntryData) -> bytes:
    return component_bytes(vevent_from_data(data))


class VeventStore(Protocol):
    """Where serialised VEVENTs are kept between feeds (the shared cache, ``core.caching.SharedStore``)."""

    def get_many(self, keys: list[str]) -> list: ...
    def set_many(self, values: dict[str, bytes]) -> None: ...


def entry_key(data: EntryData) -> str:
    """A content key of an entry: the same on every machine for the same data (the dataclass's repr)."""
    return hashlib.sha256(repr(data).encode()).hexdigest()


def _vevents(entries: Sequence[EntryData], store: VeventStore | None) -> list[bytes]:
    if store is None:
        return [_vevent_bytes(entry) for entry in entries]
    keys = [entry_key(entry) for entry in entries]
    found = store.get_many(keys)
    built: dict[str, bytes] = {}
    for index, (key, body) in enumerate(zip(keys, found, strict=True)):
        if body is None:
            body = built.get(key) or component_bytes(vevent_from_data(entries[index]))
            built[key] = found[index] = body
    store.set_many(built)
    return found


@lru_cache(maxsize=256)
def _feed_head(name: str, tzid: str, has_entries: bool, year: int) -> bytes:
    """A feed's calendar properties and VTIMEZONE, serialised once per name, zone and year."""
    return component_bytes(_calendar_head(name, tzid, None, has_entries))


def feed_bytes(entries: Sequence[EntryData], name: str, *, tzid: str, store: VeventStore | None = None) -> bytes:
    """The same bytes as ``build_calendar([vevent_from_data(e) ...], name).to_ical()``, made faster.

    A feed is polled far more often than its events change, so each event's VEVENT is serialised
    once per distinct content and reused: from ``store`` (the shared cache, so every worker on every
    machine reuses it) when given, else from this process's memory.
    """
    head = _feed_head(name, tzid, bool(entries), datetime.now(UTC).year)
    end = b"END:VCALENDAR\r\n"
    assert head.endswith(end)
    return b"".join([head[: -len(end)], *_vevents(entries, store), end])


#: The METHODs an emailed calendar entry may carry: REQUEST puts it in (or updates) a calendar, CANCEL
#: takes it out.
ATTACHMENT_METHODS = ("REQUEST", "CANCEL")


def invitation_attachment(vevent: icalendar.Event, name: str, *, tzid: str, method: str) -> tuple[str, str, bytes]:
    """One entry as an email attachment (filename, MIME type, bytes) with its METHOD, as calendar
    clients expect an invitation or a cancellation."""
    if method not in ATTACHMENT_METHODS:
        raise ValueError(f"unsupported METHOD {method!r}")
    data = build_calendar([vevent], name, tzid=tzid, method=method).to_ical()
    filename = "invite.ics" if method == "REQUEST" else "cancel.ics"
    return filename, f"text/calendar; method={method}; charset=utf-8", data
