"""Availability from calendars (issue 25, item 7): an expert's .ics file or free/busy address becomes the
visit's busy half-days, shown for confirmation; only confirming takes them off the answer. Times are
kept, never what the entries were."""

from __future__ import annotations

from datetime import date, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from core.lib.halfday import HalfDay
from core.uploads import UploadError
from programmes.visits.availability.busy import read_busy, windows
from programmes.visits.availability.fetching import FetchError, check_url

LONDON = ZoneInfo("Europe/London")


def calendar(*parts: str) -> str:
    return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + "".join(parts) + "END:VCALENDAR\r\n"


def event(uid: str, *lines: str) -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:Private appointment {uid}\r\n"
        + "".join(line + "\r\n" for line in lines)
        + "END:VEVENT\r\n"
    )


def a_visit(first: date, last: date) -> SimpleNamespace:
    """A visit as the service sees it: weekdays, 09:00–17:30, lunch 12:30–13:30."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    days = [day for day in days if day.weekday() < 5]
    return SimpleNamespace(
        day_starts=time(9),
        lunch_starts=time(12, 30),
        lunch_ends=time(13, 30),
        day_ends=time(17, 30),
        half_days=lambda: HalfDay.every(days),
    )


# Monday 22 March to Friday 2 April 2027: British Summer Time starts on Sunday 28 March.
SPRING = a_visit(date(2027, 3, 22), date(2027, 4, 2))


def busy(text: str, visit=SPRING) -> dict[str, str]:
    return {str(item.half): item.reason for item in read_busy(text.encode(), windows(visit, LONDON), LONDON).busy}


def test_a_timed_event_makes_its_half_days_busy_keeping_only_the_times():
    found = read_busy(
        calendar(event("a", "DTSTART:20270323T090000Z", "DTEND:20270323T110000Z")).encode(),
        windows(SPRING, LONDON),
        LONDON,
    )
    [item] = found.busy
    assert str(item.half) == "2027-03-23 am" and item.reason == "busy 09:00–11:00" and item.label == "Tue 23 am"
    assert "Private appointment" not in repr(found)  # the summary is never read into the result


def test_overlap_with_the_meeting_hours_only_lunch_and_evenings_are_free():
    text = calendar(
        event("lunch", "DTSTART:20270323T123000Z", "DTEND:20270323T133000Z"),  # exactly lunch
        event("evening", "DTSTART:20270323T180000Z", "DTEND:20270323T200000Z"),
        event("edge", "DTSTART:20270324T120000Z", "DTEND:20270324T134500Z"),  # both sides of lunch
        event("night", "DTSTART:20270325T220000Z", "DTEND:20270326T093000Z"),  # into Friday morning
    )
    assert busy(text) == {
        "2027-03-24 am": "busy 12:00–13:45",
        "2027-03-24 pm": "busy 12:00–13:45",
        "2027-03-26 am": "busy until 09:30",
    }


def test_all_day_events_take_the_whole_day_in_the_local_zone():
    text = calendar(event("conf", "DTSTART;VALUE=DATE:20270329", "DTEND;VALUE=DATE:20270331"))  # Mon and Tue
    assert busy(text) == {
        "2027-03-29 am": "busy all day",
        "2027-03-29 pm": "busy all day",
        "2027-03-30 am": "busy all day",
        "2027-03-30 pm": "busy all day",
    }
    no_end = calendar(event("day", "DTSTART;VALUE=DATE:20270401"))
    assert set(busy(no_end)) == {"2027-04-01 am", "2027-04-01 pm"}


def test_tzid_times_are_read_in_their_zone_across_the_change_to_summer_time():
    text = calendar(
        event("gmt", "DTSTART;TZID=Europe/London:20270326T160000", "DTEND;TZID=Europe/London:20270326T170000"),
        event("bst", "DTSTART;TZID=Europe/London:20270329T160000", "DTEND;TZID=Europe/London:20270329T170000"),
        # 08:00–09:30 in New York on Wednesday 31 March is 13:00–14:30 in London (both on summer time).
        event("ny", "DTSTART;TZID=America/New_York:20270331T080000", "DTEND;TZID=America/New_York:20270331T093000"),
        # 08:30 UTC is 09:30 BST: busy; on the Friday before (GMT) the same UTC time is before the day starts.
        event("utc-bst", "DTSTART:20270330T073000Z", "DTEND:20270330T083000Z"),
        event("utc-gmt", "DTSTART:20270325T073000Z", "DTEND:20270325T083000Z"),
    )
    assert busy(text) == {
        "2027-03-26 pm": "busy 16:00–17:00",
        "2027-03-29 pm": "busy 16:00–17:00",
        "2027-03-31 pm": "busy 13:00–14:30",
        "2027-03-30 am": "busy 08:30–09:30",
    }


def test_weekly_rrule_is_expanded_within_the_visit_keeping_the_wall_clock_time():
    text = calendar(
        event(
            "weekly",
            "DTSTART;TZID=Europe/London:20270301T100000",
            "DTEND;TZID=Europe/London:20270301T110000",
            "RRULE:FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20271231T000000Z",
            "EXDATE;TZID=Europe/London:20270325T100000",
        ),
        # One Monday moved to the afternoon, its own entry; and one instance cancelled.
        event(
            "weekly",
            "RECURRENCE-ID;TZID=Europe/London:20270329T100000",
            "DTSTART;TZID=Europe/London:20270329T150000",
            "DTEND;TZID=Europe/London:20270329T160000",
        ),
        event(
            "weekly",
            "RECURRENCE-ID;TZID=Europe/London:20270401T100000",
            "DTSTART;TZID=Europe/London:20270401T100000",
            "DTEND;TZID=Europe/London:20270401T110000",
            "STATUS:CANCELLED",
        ),
        event("count", "DTSTART:20270101T140000Z", "DURATION:PT30M", "RRULE:FREQ=DAILY;COUNT=3"),  # long over
    )
    assert busy(text) == {"2027-03-22 am": "busy 10:00–11:00", "2027-03-29 pm": "busy 15:00–16:00"}


def test_vfreebusy_periods_count_and_free_ones_do_not():
    text = calendar(
        "BEGIN:VFREEBUSY\r\nDTSTART:20270322T000000Z\r\nDTEND:20270403T000000Z\r\n"
        "FREEBUSY;FBTYPE=BUSY:20270322T090000Z/20270322T100000Z,20270401T120000Z/PT2H\r\n"
        "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20270323T140000Z/20270323T150000Z\r\n"
        "FREEBUSY;FBTYPE=FREE:20270324T090000Z/20270324T170000Z\r\n"
        "END:VFREEBUSY\r\n"
    )
    assert busy(text) == {
        "2027-03-22 am": "busy 09:00–10:00",
        "2027-03-23 pm": "busy 14:00–15:00",
        "2027-04-01 pm": "busy 13:00–15:00",  # 12:00 UTC is 13:00 BST
    }


def test_transparent_and_cancelled_entries_are_ignored():
    text = calendar(
        event("free", "DTSTART:20270323T090000Z", "DTEND:20270323T110000Z", "TRANSP:TRANSPARENT"),
        event("gone", "DTSTART:20270324T090000Z", "DTEND:20270324T110000Z", "STATUS:CANCELLED"),
        event("zone", "DTSTART;TZID=Mars/Olympus:20270325T090000", "DTEND;TZID=Mars/Olympus:20270325T100000"),
        event("tentative", "DTSTART:20270326T140000Z", "DTEND:20270326T150000Z", "STATUS:TENTATIVE"),
    )
    reading = read_busy(text, windows(SPRING, LONDON), LONDON)
    assert busy(text) == {"2027-03-26 pm": "busy 14:00–15:00"}
    assert reading.skipped == 1  # the unknown zone


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"name,email\nAda,ada@example.org\n", "not an .ics calendar"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8"),
        (calendar().encode(), "The calendar is empty"),
        (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\n", "cut short"),
    ],
)
def test_what_is_not_a_calendar_is_refused_with_a_reason(data, message):
    with pytest.raises(UploadError, match=message):
        read_busy(data, windows(SPRING, LONDON), LONDON)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://calendar.example.org/busy.ics", "must start with https://"),
        ("ftp://calendar.example.org/busy.ics", "starting with https://"),
        ("https://127.0.0.1/busy.ics", "private or local network"),
        ("https://localhost/busy.ics", "private or local network"),
        ("https://10.1.2.3/busy.ics", "private or local network"),
        ("https://[::1]/busy.ics", "private or local network"),
        ("https://169.254.169.254/latest", "private or local network"),
        ("https://user:secret@8.8.8.8/busy.ics", "without a user name"),
        ("not a url", "starting with https://"),
    ],
)
def test_addresses_that_are_not_public_https_are_refused(url, message):
    with pytest.raises(FetchError, match=message):
        check_url(url)


def test_loopback_over_http_is_admitted_only_with_the_flag():
    assert check_url("http://127.0.0.1:8123/x?y=1", allow_loopback=True).path == "/x?y=1"
    for url in ("http://10.0.0.1/x", "http://calendar.example.org/x"):
        with pytest.raises(FetchError, match="must start with https://"):
            check_url(url, allow_loopback=True)
    with pytest.raises(FetchError, match="private or local"):
        check_url("https://10.0.0.1/x", allow_loopback=True)
