"""Real clients read time zones differently. "Accepted" means three independent parsers read every start
as the same instant, in winter and in summer, around both clock changes and in every year from 2016 to 2032
(the VTIMEZONE repeats its changes by RRULE, so no year is outside it):

- icalendar itself (Python);
- ical.js, the parser inside Mozilla Thunderbird (npm, pinned in tests/js), run by Node;
- vobject (Python), which builds each zone from the file's VTIMEZONE with dateutil's tzical.

Both others are first shown to obey the VTIMEZONE in the file rather than their own zone database,
so their agreement checks the file we send and not only the name of the zone.
Off CI, the ical.js checks skip when Node or its packages are missing; on CI (CI=true) they never skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from core.ical_settings import calendar_settings
from events.calendar import ical
from events.calendar.feeds import FeedEntry, entry_data
from events.models import Event
from extensions import db

JS_DIR = Path(__file__).resolve().parents[2] / "js"
ON_CI = os.environ.get("CI", "").lower() == "true"

#: (label, UTC start): London wall-clock times straddling both clock changes of 2027 and 2028.
STARTS = [
    ("winter-lunch", datetime(2027, 1, 14, 12, 30, tzinfo=UTC)),  # 12:30 GMT
    ("summer-lunch", datetime(2027, 7, 8, 11, 30, tzinfo=UTC)),  # 12:30 BST
    ("before-spring-change", datetime(2027, 3, 27, 18, 0, tzinfo=UTC)),  # Sat 18:00 GMT
    ("after-spring-change", datetime(2027, 3, 28, 8, 0, tzinfo=UTC)),  # Sun 09:00 BST
    ("before-autumn-change", datetime(2027, 10, 30, 17, 0, tzinfo=UTC)),  # Sat 18:00 BST
    ("after-autumn-change", datetime(2027, 10, 31, 9, 0, tzinfo=UTC)),  # Sun 09:00 GMT
    ("spring-change-night", datetime(2027, 3, 28, 1, 30, tzinfo=UTC)),  # 02:30 BST, just after the gap
    ("autumn-first-0130", datetime(2027, 10, 31, 0, 30, tzinfo=UTC)),  # 01:30 BST, the first of two 01:30s
    ("autumn-second-0130", datetime(2027, 10, 31, 1, 30, tzinfo=UTC)),  # 01:30 GMT, the second one
    ("late-winter-evening", datetime(2028, 12, 31, 23, 30, tzinfo=UTC)),  # New Year's Eve 23:30 GMT
    ("far-summer", datetime(2031, 8, 1, 16, 0, tzinfo=UTC)),  # 17:00 BST, years after the first event
    ("midsummer-early", datetime(2028, 6, 21, 5, 0, tzinfo=UTC)),  # 06:00 BST
]

FAKE_ZONE_ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//fake zone//EN\r
BEGIN:VTIMEZONE\r
TZID:Europe/London\r
BEGIN:STANDARD\r
DTSTART:19700101T000000\r
TZNAME:FAKE\r
TZOFFSETFROM:+0500\r
TZOFFSETTO:+0500\r
END:STANDARD\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
UID:fake@test\r
DTSTAMP:20270101T000000Z\r
DTSTART;TZID=Europe/London:20270114T123000\r
DTEND;TZID=Europe/London:20270114T133000\r
SUMMARY:Read with the file's zone\r
END:VEVENT\r
END:VCALENDAR\r
"""


def _node() -> str:
    """The node binary with ical.js installed, or skip (off CI only) saying what is missing."""
    node = shutil.which("node")
    problem = None
    if node is None:
        problem = "Node.js is not installed (apt-get install nodejs npm)"
    elif not (JS_DIR / "node_modules" / "ical.js").is_dir():
        problem = f"ical.js is not installed: run `npm ci --prefix {JS_DIR}`"
    if problem:
        if ON_CI:
            pytest.fail(problem + " — on CI the cross-parser check must run")
        pytest.skip(problem)
    return node


def ical_js_starts(ics: bytes) -> dict[str, datetime]:
    """UID → start instant as read by ical.js."""
    result = subprocess.run(
        [_node(), str(JS_DIR / "starts.mjs")], input=ics, capture_output=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr.decode()
    starts = {}
    for line in result.stdout.decode().splitlines():
        uid, iso = line.split("\t")
        starts[uid] = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return starts


def vobject_starts(ics: bytes) -> dict[str, datetime]:
    """UID → start instant as read by vobject.

    vobject keeps the first zone it met under each TZID for the rest of the process (and would fall
    back to pytz for a name it has not met); emptying that registry first makes it build the zone
    from this file's VTIMEZONE.
    """
    vars(vobject.icalendar)["__tzidMap"].clear()
    parsed = vobject.readOne(ics.decode("utf-8"))
    starts = {}
    for vevent in parsed.vevent_list:
        start = vevent.dtstart.value
        assert start.tzinfo is not None, "vobject read a floating time: the TZID was not resolved"
        starts[vevent.uid.value] = start.astimezone(UTC)
    return starts


def icalendar_starts(ics: bytes) -> dict[str, datetime]:
    parsed = icalendar.Calendar.from_ical(ics)
    return {str(v["UID"]): v.DTSTART.astimezone(UTC) for v in parsed.walk("VEVENT")}


def test_ical_js_obeys_the_files_vtimezone():
    assert ical_js_starts(FAKE_ZONE_ICS.encode()) == {"fake@test": datetime(2027, 1, 14, 7, 30, tzinfo=UTC)}


def test_vobject_obeys_the_files_vtimezone():
    assert vobject_starts(FAKE_ZONE_ICS.encode()) == {"fake@test": datetime(2027, 1, 14, 7, 30, tzinfo=UTC)}


@pytest.fixture
def seasonal_feed(app, make_event):
    """The public feed as served, holding one event per entry of STARTS."""
    ids = {}
    for label, start in STARTS:
        ids[label] = make_event(title=f"Event {label}, with; text", starts_at=start, audience="public")
    with app.app_context():
        uids = {
            label: ical.event_uid(db.session.get(Event, event_id), calendar_settings())
            for label, event_id in ids.items()
        }
    return uids


@pytest.mark.parametrize("label,start", STARTS, ids=[label for label, _ in STARTS])
def test_each_parser_reads_the_same_start(app, client, seasonal_feed, label, start, monkeypatch):
    app.config["BASE_URL"] = "https://events.example.org"
    # Fixed dates must stay in the feed whenever the test runs.
    monkeypatch.setattr("events.calendar.feeds.PUBLIC_PAST", timedelta(days=365 * 100))
    response = client.get("/calendar.ics")
    assert response.status_code == 200
    ics = response.data
    uid = seasonal_feed[label].replace("@localhost", "@events.example.org")
    expected = start
    assert icalendar_starts(ics)[uid] == expected
    assert vobject_starts(ics)[uid] == expected
    assert ical_js_starts(ics)[uid] == expected


def test_all_parsers_agree_on_every_event_of_a_feed_and_an_invitation(app, seasonal_feed):
    with app.app_context(), app.test_request_context():
        events = db.session.scalars(db.select(Event).order_by(Event.starts_at)).all()
        feed = ical.feed_bytes(entry_data([FeedEntry(event) for event in events]), "All", tzid=calendar_settings().tzid)
        for ics in [feed] + [
            ical.ics_attachment(e, settings=calendar_settings(), url="https://x.test", method="REQUEST")[2]
            for e in events
        ]:
            by_icalendar = icalendar_starts(ics)
            assert by_icalendar == vobject_starts(ics) == ical_js_starts(ics)
        assert sorted(icalendar_starts(feed).values()) == sorted(start for _, start in STARTS)


#: The years of the long feed: from the demo's first lunch to well past any range a zone used to cover.
YEARS = range(2016, 2033)


def _last_sunday(year: int, month: int) -> date:
    last = date(year, month + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - 6) % 7)


def _london_starts() -> dict[str, datetime]:
    """label → UTC start: each year's winter and summer lunch, and the evening before and the morning of
    both clock changes (the last Sundays of March and October, as London's rules have been since 1996)."""
    london = ZoneInfo("Europe/London")
    starts = {}
    for year in YEARS:
        local = {
            "winter": datetime(year, 1, 14, 12, 30),
            "summer": datetime(year, 7, 8, 12, 30),
        }
        for month, season in ((3, "spring"), (10, "autumn")):
            sunday = datetime.combine(_last_sunday(year, month), datetime.min.time())
            local[f"{season}-saturday-evening"] = sunday - timedelta(hours=6)
            local[f"{season}-sunday-morning"] = sunday + timedelta(hours=9)
        starts.update(
            {f"{year}-{label}": value.replace(tzinfo=london).astimezone(UTC) for label, value in local.items()}
        )
    return starts


def test_every_parser_reads_a_feed_from_2016_to_2032(app, client, make_event, monkeypatch):
    """The public feed as served, with six events in each year: every start is the same instant for all three."""
    app.config["BASE_URL"] = "https://events.example.org"
    monkeypatch.setattr("events.calendar.feeds.PUBLIC_PAST", timedelta(days=365 * 100))
    starts = _london_starts()
    ids = {label: make_event(title=label, starts_at=start, audience="public") for label, start in starts.items()}
    with app.app_context():
        uids = {
            ical.event_uid(db.session.get(Event, event_id), calendar_settings()): label
            for label, event_id in ids.items()
        }
    response = client.get("/calendar.ics")
    assert response.status_code == 200
    expected = {uid: starts[label] for uid, label in uids.items()}
    assert len(expected) == 6 * len(YEARS)
    assert icalendar_starts(response.data) == expected
    assert vobject_starts(response.data) == expected
    assert ical_js_starts(response.data) == expected


def _noons_around_changes(tzid: str) -> tuple[bytes, dict[str, datetime]]:
    """A calendar in ``tzid``, with the UTC start of each entry: noon on 14 January and 8 July of every year
    from 2016 to 2032, and noon on the day before and the day of each clock change the zone database
    knows, so a change the file put in another week (or not at all) shows as a wrong start."""
    zone = ZoneInfo(tzid)
    noons: dict[str, datetime] = {}
    day = date(YEARS.start, 1, 1)
    while day.year < YEARS.stop:
        noon = datetime.combine(day, time(12), tzinfo=zone)
        before = noon - timedelta(days=1)  # wall-clock arithmetic: noon the day before
        if noon.utcoffset() != before.utcoffset() or (day.month, day.day) in ((1, 14), (7, 8)):
            noons.update({f"{value:%Y%m%d}@example.org": value for value in (before, noon)})
        day += timedelta(days=1)
    entries = [
        ical.EntryData(
            uid=uid, summary="Noon", description="", location="", url="https://example.org", tzid=tzid,
            start=ical.wall_clock(noon, zone), end=ical.wall_clock(noon + timedelta(hours=1), zone), stamp=noon,
            created=None, last_modified=noon, sequence=0, status="CONFIRMED", organizer_email="e@example.org",
            organizer_name="E",
        )
        for uid, noon in noons.items()
    ]  # fmt: skip
    return ical.feed_bytes(entries, "Noons", tzid=tzid), {uid: noon.astimezone(UTC) for uid, noon in noons.items()}


@pytest.mark.parametrize("tzid", ["America/New_York", "Australia/Sydney", "Asia/Tokyo", "Asia/Jerusalem"])
def test_every_parser_reads_other_zones_in_every_year(tzid):
    """A configured TIMEZONE other than London: RRULE zones of both hemispheres, a zone without clock
    changes, and one whose changes follow no weekday rule (listed onset by onset)."""
    ics, expected = _noons_around_changes(tzid)
    assert len(expected) >= 2 * len(YEARS)
    assert icalendar_starts(ics) == expected
    assert vobject_starts(ics) == expected
    assert ical_js_starts(ics) == expected


def test_all_parsers_read_a_fellows_meetings_alike(app, make_fellow, make_expert, login):
    """Issue 10: the meetings of a visit in a fellow's personal feed (one in winter time, one in summer
    time) are read at the same instants by icalendar, vobject and ical.js."""
    from programmes.models import Expert, ExpertInvitation, Meeting, VisitProgramme

    fellow = make_fellow(name="Ada Lovelace")
    experts = [make_expert("Priya Shah"), make_expert("Tom Ward")]
    year = datetime.now(UTC).year + 1
    london = ZoneInfo("Europe/London")
    starts = [
        datetime(year, 1, 12, 9, 30, tzinfo=london).astimezone(UTC),
        datetime(year, 7, 13, 14, 15, tzinfo=london).astimezone(UTC),
    ]
    with app.app_context():
        for expert_id, start in zip(experts, starts, strict=True):
            day = start.astimezone(london).date()
            visit = VisitProgramme(fellow_id=fellow.id, starts_on=day, ends_on=day)
            invitation = ExpertInvitation(
                programme=visit, expert=db.session.get(Expert, expert_id), status="accepted", available=[]
            )
            db.session.add(
                Meeting(programme=visit, invitation=invitation, starts_at=start, ends_at=start + timedelta(minutes=45))
            )
        db.session.commit()
    client = login(fellow)
    client.post("/my/calendar/reset")
    page = client.get("/my/calendar").get_data(as_text=True)
    feed_path = "/calendar/" + page.split("/calendar/", 1)[1].split(".ics", 1)[0] + ".ics"
    ics = client.get(feed_path).data
    by_icalendar = {uid: start for uid, start in icalendar_starts(ics).items() if uid.startswith("meeting-")}
    assert sorted(by_icalendar.values()) == starts
    assert {uid: vobject_starts(ics)[uid] for uid in by_icalendar} == by_icalendar
    assert {uid: ical_js_starts(ics)[uid] for uid in by_icalendar} == by_icalendar
