"""Real clients read time zones differently. "Accepted" means three independent parsers read every start
as the same instant, in winter and in summer:

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
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest
import vobject

from core.ical_settings import calendar_settings
from events.calendar import ical
from events.calendar.feeds import FeedEntry, entry_data
from events.models import Event
from extensions import db

JS_DIR = Path(__file__).parent / "js"
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
