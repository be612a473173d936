"""Which of a visit's half-days an expert's calendar shows as busy, and when.

A half-day is busy when anything busy in the calendar overlaps its meeting hours (the morning from the
day's start to lunch, the afternoon from the end of lunch to the day's end). Busy means: a VEVENT that
is not transparent (TRANSP:TRANSPARENT, "show as free") and not cancelled, every occurrence of a
repeating one (RRULE, RDATE, less EXDATE and moved or cancelled instances) within the visit, and the
busy periods of a VFREEBUSY (FBTYPE=FREE ignored). The summary, place and attendees of an entry are
never read into the result: the reason is only its times ("busy 09:00–11:00"), in the configured zone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
from dateutil.rrule import rruleset, rrulestr

from core.lib.halfday import HalfDay
from core.uploads import CALENDAR, UploadError, decode_text

#: Repeating entries more frequent than daily are left out: a rule every minute since 1900 would make
#: millions of occurrences before the visit.
SUB_DAILY = {"SECONDLY", "MINUTELY", "HOURLY"}
#: Occurrences walked through for the whole file (an answer in well under a second on a busy machine).
MAX_OCCURRENCES = 200_000
Period = tuple[datetime, datetime]


class CalendarUnreadable(UploadError):
    """The file as a whole is not a calendar that can be read; the message is for the person uploading."""


class _Skip(ValueError):
    """One entry cannot be read (no start, an unknown zone …): it is left out and counted."""


@dataclass(frozen=True)
class Window:
    """The meeting hours of one half-day of the visit, in UTC."""

    half: HalfDay
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class BusyHalfDay:
    half: HalfDay
    #: Only the times, e.g. "busy 09:00–11:00, 11:30–12:00" or "busy all day".
    reason: str

    @property
    def label(self) -> str:
        """ "Tue 3 am"."""
        return f"{self.half.day:%a} {self.half.day.day} {self.half.part}"


@dataclass
class BusyReading:
    busy: list[BusyHalfDay]
    #: Entries that could not be read (and were left out).
    skipped: int = 0


def windows(visit, zone: ZoneInfo) -> list[Window]:
    """The half-days of a visit (anything with ``half_days()`` and the day's hours) with their hours."""

    def at(day: date, clock: time) -> datetime:
        return datetime.combine(day, clock).replace(tzinfo=zone, fold=0).astimezone(UTC)

    hours = {"am": (visit.day_starts, visit.lunch_starts), "pm": (visit.lunch_ends, visit.day_ends)}
    return [
        Window(half, at(half.day, hours[half.part][0]), at(half.day, hours[half.part][1])) for half in visit.half_days()
    ]


def read_busy(data: bytes | str, visit_windows: list[Window], zone: ZoneInfo) -> BusyReading:
    """The half-days of ``visit_windows`` that the calendar ``data`` shows busy; CalendarUnreadable when
    the data is not a calendar, is damaged, or has no events or busy times at all."""
    text = decode_text(data, CALENDAR) if isinstance(data, bytes) else data
    components = _components(text)
    if not visit_windows:
        return BusyReading([])
    start = min(window.starts_at for window in visit_windows)
    end = max(window.ends_at for window in visit_windows)
    periods, skipped = _busy_periods(components, zone, start, end)
    busy = []
    for window in visit_windows:
        overlapping = [(a, b) for a, b in periods if a < window.ends_at and b > window.starts_at]
        if overlapping:
            busy.append(BusyHalfDay(window.half, _reason(overlapping, window.half.day, zone)))
    return BusyReading(busy, skipped)


def _components(text: str) -> list:
    upper = text.upper()
    if "BEGIN:VCALENDAR" not in upper:
        raise CalendarUnreadable(
            "This is not an .ics calendar (it has no BEGIN:VCALENDAR). Export your calendar again."
        )
    if "END:VCALENDAR" not in upper:
        raise CalendarUnreadable("The calendar ends too early (no END:VCALENDAR): it was probably cut short.")
    try:
        calendars = icalendar.Calendar.from_ical(text, multiple=True)
    except (ValueError, KeyError, TypeError) as error:
        raise CalendarUnreadable("The calendar is damaged and could not be read. Export it again.") from error
    found = [part for calendar in calendars for part in calendar.walk() if part.name in ("VEVENT", "VFREEBUSY")]
    if not found:
        raise CalendarUnreadable("The calendar is empty: it has no events or busy times.")
    return found


def _as_utc(value: date | datetime, zone: ZoneInfo, tzid: str | None = None) -> datetime:
    """A DTSTART-like value as UTC: an all-day date from local midnight, a floating time in ``zone``."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time()).replace(tzinfo=zone).astimezone(UTC)
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    if tzid:  # icalendar leaves a time naive when neither the file nor the zone database knows its TZID
        try:
            return value.replace(tzinfo=ZoneInfo(tzid)).astimezone(UTC)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise _Skip(f"unknown time zone {tzid}") from error
    return value.replace(tzinfo=zone, fold=0).astimezone(UTC)


def _wall(value: date | datetime, tz) -> datetime:
    """A value as a naive wall-clock time in ``tz`` (the zone a repeating rule steps in)."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time())
    if value.tzinfo is None or tz is None:
        return value.replace(tzinfo=None)
    return value.astimezone(tz).replace(tzinfo=None)


def _values(prop) -> Iterator:
    """Every date of an EXDATE/RDATE/RECURRENCE-ID property (one or several lines, lists or not)."""
    for line in prop if isinstance(prop, list) else [prop] if prop is not None else []:
        for item in getattr(line, "dts", [line]):
            value = getattr(item, "dt", item)
            if isinstance(value, tuple):  # an RDATE period: its start
                value = value[0]
            yield value, item.params.get("TZID") if hasattr(item, "params") else None


def _busy_periods(components: list, zone: ZoneInfo, start: datetime, end: datetime) -> tuple[list[Period], int]:
    moved: dict[str, set[datetime]] = {}
    for part in components:
        if part.name == "VEVENT" and part.get("RECURRENCE-ID") is not None:
            uid = str(part.get("UID") or "")
            try:
                moved.setdefault(uid, set()).update(
                    _as_utc(value, zone, tzid) for value, tzid in _values(part.get("RECURRENCE-ID"))
                )
            except _Skip:
                pass
    periods: list[Period] = []
    skipped = 0
    budget = [MAX_OCCURRENCES]
    for part in components:
        try:
            found = (
                _event_periods(part, zone, start, end, moved, budget)
                if part.name == "VEVENT"
                else _freebusy_periods(part, zone)
            )
            periods.extend((a, b) for a, b in found if a < end and b > start)
        except _Skip:
            skipped += 1
    return sorted(periods), skipped


def _freebusy_periods(part, zone: ZoneInfo) -> Iterator[Period]:
    lines = part.get("FREEBUSY")
    for period in lines if isinstance(lines, list) else [lines] if lines is not None else []:
        if str(period.params.get("FBTYPE", "BUSY")).upper() == "FREE":
            continue
        first, second = period.dt
        begins = _as_utc(first, zone)
        yield begins, begins + second if isinstance(second, timedelta) else _as_utc(second, zone)


def _zone_of(first: date | datetime, tzid: str | None, zone: ZoneInfo):
    """The zone an entry's wall clock runs in: its own, else (all-day, floating) the configured one."""
    if isinstance(first, datetime) and first.tzinfo is not None:
        return first.tzinfo
    if isinstance(first, datetime) and tzid:
        try:
            return ZoneInfo(tzid)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise _Skip(f"unknown time zone {tzid}") from error
    return zone


def _event_periods(part, zone: ZoneInfo, start: datetime, end: datetime, moved, budget) -> list[Period]:
    if str(part.get("TRANSP") or "").upper() == "TRANSPARENT" or str(part.get("STATUS") or "").upper() == "CANCELLED":
        return []
    if part.get("DTSTART") is None:
        raise _Skip("no start")
    first = part.DTSTART
    tz = _zone_of(first, part["DTSTART"].params.get("TZID"), zone)
    begins = _wall(first, tz)
    # Lengths are taken on the wall clock: a repeating 09:00–10:00 stays so across a change of the clocks.
    if part.get("DTEND") is not None:
        ends = part.DTEND
        if isinstance(ends, datetime) and ends.tzinfo is None and part["DTEND"].params.get("TZID"):
            ends = _as_utc(ends, zone, part["DTEND"].params.get("TZID"))
        length = _wall(ends, tz) - begins
    elif part.get("DURATION") is not None:
        length = part.DURATION
    else:  # RFC 5545: an all-day entry lasts the day, a timed one without an end takes no time
        length = timedelta(days=1) if not isinstance(first, datetime) else timedelta(0)
    if length <= timedelta(0):
        return []

    def utc(wall: datetime) -> datetime:
        return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)

    if part.get("RRULE") is None and part.get("RDATE") is None:
        return [(utc(begins), utc(begins + length))]
    skip = set(moved.get(str(part.get("UID") or ""), ()))
    for value, ex_tzid in _values(part.get("EXDATE")):
        skip.add(_as_utc(value, zone, ex_tzid or part["DTSTART"].params.get("TZID")))
    walls = _occurrences(part, begins, tz, start - length, end, budget)
    return [(utc(wall), utc(wall + length)) for wall in walls if utc(wall) not in skip]


def _occurrences(part, dtstart: datetime, tz, start: datetime, end: datetime, budget: list[int]) -> list[datetime]:
    """Wall-clock starts of a repeating entry from ``start`` to ``end`` (UTC), stepping in its own zone."""
    rules = rruleset()
    lines = part.get("RRULE")
    for rule in lines if isinstance(lines, list) else [lines] if lines is not None else []:
        if str((rule.get("FREQ") or [""])[0]).upper() in SUB_DAILY:
            raise _Skip("repeats more often than daily")
        rule = icalendar.vRecur(rule)
        if rule.get("UNTIL"):
            rule["UNTIL"] = [_wall(rule["UNTIL"][0], tz)]
        try:
            rules.rrule(rrulestr(rule.to_ical().decode(), dtstart=dtstart))
        except (ValueError, TypeError) as error:
            raise _Skip("a repeating rule that cannot be read") from error
    for value, _ in _values(part.get("RDATE")):
        rules.rdate(_wall(value, tz))
    low, high = _wall(start, tz) - timedelta(days=1), _wall(end, tz) + timedelta(days=1)
    found = []
    for wall in rules:
        budget[0] -= 1
        if budget[0] < 0:
            raise CalendarUnreadable(
                "The calendar has too many repeating entries to read. Export only the visit's weeks."
            )
        if wall > high:
            break
        if wall >= low:
            found.append(wall)
    return found


def _reason(periods: list[Period], day: date, zone: ZoneInfo) -> str:
    """ "busy 09:00–11:00, 14:00–15:00" from the periods clipped to the local day, merged; no entry names."""
    midnight = datetime.combine(day, time()).replace(tzinfo=zone)
    next_midnight = datetime.combine(day + timedelta(days=1), time()).replace(tzinfo=zone)
    spans: list[list[datetime]] = []
    for a, b in sorted((max(a, midnight), min(b, next_midnight)) for a, b in periods):
        if spans and a <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], b)
        else:
            spans.append([a, b])
    if len(spans) == 1 and spans[0][0] <= midnight and spans[0][1] >= next_midnight:
        return "busy all day"
    texts = []
    for a, b in spans:
        if a <= midnight:
            texts.append(f"until {b.astimezone(zone):%H:%M}")
        elif b >= next_midnight:
            texts.append(f"from {a.astimezone(zone):%H:%M}")
        else:
            texts.append(f"{a.astimezone(zone):%H:%M}–{b.astimezone(zone):%H:%M}")
    return "busy " + ", ".join(texts)
