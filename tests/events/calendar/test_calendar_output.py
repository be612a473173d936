"""The calendar data itself: every field read back, escaping and folding, SEQUENCE, STATUS, one UID."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import icalendar
import pytest

from core.ical_settings import calendar_settings
from core.models import Tag
from events.calendar import ical, links
from events.calendar.feeds import FeedEntry, entry_data
from events.models import Event, Speaker
from events.urls import event_url
from extensions import db
from fellows.models import Organisation, User

LONDON = ZoneInfo("Europe/London")


def _event(event_id: int) -> Event:
    return db.session.get(Event, event_id)


def _one_vevent(data: bytes) -> icalendar.Event:
    parsed = icalendar.Calendar.from_ical(data)
    events = parsed.walk("VEVENT")
    assert len(events) == 1
    return events[0]


@pytest.fixture
def rich_event(app, make_event, make_organiser):
    """A published event with speakers, a host, topics and text that needs escaping."""
    organiser = make_organiser()
    with app.app_context():
        host = Organisation(name="Department for Science, Innovation; Technology", kind="government")
        db.session.add(host)
        db.session.commit()
        host_id = host.id
    event_id = make_event(
        title="AI, ethics; and \\ the law",
        summary="Lunch; talk, and questions",
        description="First paragraph with **bold** & ampersand.\n\nSecond line; with, punctuation.",
        starts_at=datetime(2027, 1, 14, 12, 30, tzinfo=UTC),
        ends_at=datetime(2027, 1, 14, 14, 0, tzinfo=UTC),
        venue_name="Room 1, Main Building",
        venue_address="1 Policy Street; London SW1A 1AA",
        online_url="https://meet.example.org/secret-room",
        audience="public",
        host_id=host_id,
        created_by_id=organiser.id,
        topics=("Artificial intelligence", "Health"),
    )
    with app.app_context():
        event = _event(event_id)
        event.speakers = [
            Speaker(position=0, honorific="Dr", name="Ada Lovelace", role="Chief Scientific Adviser"),
            Speaker(position=1, name="Alan Turing"),
        ]
        db.session.commit()
    return event_id


def test_every_field_reads_back(app, rich_event):
    with app.app_context(), app.test_request_context():
        event = _event(rich_event)
        url = event_url(event)
        data = ical.build_calendar(
            [ical.event_to_vevent(event, settings=calendar_settings(), url=url)],
            "One event",
            tzid=calendar_settings().tzid,
        ).to_ical()
        parsed = icalendar.Calendar.from_ical(data)
        vevent = _one_vevent(data)

        assert parsed["VERSION"] == "2.0"
        assert parsed["PRODID"] == ical.PRODID
        assert "METHOD" not in parsed
        assert [tz["TZID"] for tz in parsed.walk("VTIMEZONE")] == ["Europe/London"]

        assert str(vevent["UID"]) == f"{event.uid}@localhost" == ical.event_uid(event, calendar_settings())
        assert vevent["DTSTART"].params["TZID"] == "Europe/London"
        assert vevent["DTEND"].params["TZID"] == "Europe/London"
        # 12:30 UTC in January is 12:30 London time (GMT).
        assert vevent.DTSTART == datetime(2027, 1, 14, 12, 30, tzinfo=LONDON)
        assert vevent.DTSTART.astimezone(UTC) == event.starts_at
        assert vevent.DTEND.astimezone(UTC) == event.ends_at
        assert vevent["DTSTAMP"].dt == event.updated_at.replace(microsecond=0)
        assert vevent["LAST-MODIFIED"].dt == event.updated_at.replace(microsecond=0)
        assert vevent["CREATED"].dt == event.created_at.replace(microsecond=0)
        assert vevent["SEQUENCE"] == 0
        assert vevent["STATUS"] == "CONFIRMED"
        assert vevent["TRANSP"] == "OPAQUE"
        assert str(vevent["SUMMARY"]) == "AI, ethics; and \\ the law"
        assert str(vevent["URL"]) == url == f"http://localhost/events/{event.id}"
        assert str(vevent["ORGANIZER"]) == "mailto:events@localhost"
        assert vevent["ORGANIZER"].params["CN"] == "Policy Fellowship"
        assert list(vevent["CATEGORIES"].cats) == ["Artificial intelligence", "Health"]
        # The public file says "Online" but never carries the joining link.
        assert str(vevent["LOCATION"]) == "Room 1, Main Building, 1 Policy Street; London SW1A 1AA, Online"

        description = str(vevent["DESCRIPTION"])
        assert description.startswith("Lunch; talk, and questions\n\nFirst paragraph with bold & ampersand.")
        assert "Second line; with, punctuation." in description
        assert "Speakers:\n- Dr Ada Lovelace, Chief Scientific Adviser\n- Alan Turing" in description
        assert "Hosted by Department for Science, Innovation; Technology." in description
        assert description.endswith(f"Details and booking: {url}")
        assert "secret-room" not in data.decode()
        assert "<strong>" not in description and "&amp;" not in description


def test_private_details_add_the_online_link(app, rich_event):
    with app.app_context(), app.test_request_context():
        event = _event(rich_event)
        vevent = ical.event_to_vevent(event, settings=calendar_settings(), url=event_url(event), private_details=True)
        assert str(vevent["LOCATION"]).endswith("https://meet.example.org/secret-room")
        assert "Join online: https://meet.example.org/secret-room" in str(vevent["DESCRIPTION"])


def test_text_is_escaped_and_lines_folded(app, make_event):
    title = "Budget, tax; and\nthe long road ahead – “quotes” and ünïcödé " * 3
    event_id = make_event(title=title[:200], description="Line one\nLine two; with, commas\\backslash " * 10)
    with app.app_context(), app.test_request_context():
        event = _event(event_id)
        raw = ical.build_calendar(
            [ical.event_to_vevent(event, settings=calendar_settings(), url="https://x.test/e")],
            "Esc",
            tzid=calendar_settings().tzid,
        ).to_ical()
        lines = raw.split(b"\r\n")
        # RFC 5545 3.1: no line longer than 75 octets, continuation lines start with one space.
        assert all(len(line) <= 75 for line in lines)
        assert any(line.startswith(b" ") for line in lines)
        unfolded = raw.replace(b"\r\n ", b"")
        summary_line = next(line for line in unfolded.split(b"\r\n") if line.startswith(b"SUMMARY:"))
        assert b"Budget\\, tax\\; and\\nthe long road" in summary_line
        assert b"commas\\\\backslash" in unfolded
        # Folding never splits a UTF-8 character: every physical line decodes on its own.
        for line in lines:
            line.decode("utf-8")
        vevent = _one_vevent(raw)
        assert str(vevent["SUMMARY"]) == title[:200]
        assert "Line two; with, commas\\backslash" in str(vevent["DESCRIPTION"])


def test_summer_time_carries_the_london_offset(app, make_event):
    # 11:30 UTC in July is 12:30 British Summer Time.
    event_id = make_event(starts_at=datetime(2027, 7, 8, 11, 30, tzinfo=UTC))
    with app.app_context(), app.test_request_context():
        raw = ical.build_calendar(
            [ical.event_to_vevent(_event(event_id), settings=calendar_settings(), url="https://x.test/e")],
            "S",
            tzid=calendar_settings().tzid,
        )
        text = raw.to_ical().decode()
        assert "DTSTART;TZID=Europe/London:20270708T123000" in text
        assert "TZOFFSETTO:+0100" in text and "TZNAME:BST" in text


def test_uid_never_changes_and_sequence_increases_with_time_or_place(app, make_event, make_organiser):
    from events.changes import EVENT_FIELDS
    from events.services import update_event

    organiser = make_organiser()
    event_id = make_event()
    with app.app_context(), app.test_request_context():
        event = _event(event_id)
        before = _one_vevent(
            ical.build_calendar(
                [ical.event_to_vevent(event, settings=calendar_settings(), url="u")], "c", tzid=calendar_settings().tzid
            ).to_ical()
        )
        data = {field: getattr(event, field) for field in EVENT_FIELDS}
        data["starts_at"] = event.starts_at + timedelta(hours=1)
        data["ends_at"] = event.ends_at + timedelta(hours=1)
        data["topics"] = []
        data["speakers"] = []
        update_event(db.session.get(User, organiser.id), event, data)
        db.session.commit()
        after = _one_vevent(
            ical.build_calendar(
                [ical.event_to_vevent(event, settings=calendar_settings(), url="u")], "c", tzid=calendar_settings().tzid
            ).to_ical()
        )
        assert str(after["UID"]) == str(before["UID"])
        assert after["SEQUENCE"] == before["SEQUENCE"] + 1 == 1
        assert after.DTSTART - before.DTSTART == timedelta(hours=1)
        assert after["LAST-MODIFIED"].dt >= before["LAST-MODIFIED"].dt
        assert db.session.get(Event, event_id).sequence == 1


def test_cancelled_event_is_status_cancelled(app, make_event, make_organiser):
    from events.services import cancel_event

    organiser = make_organiser()
    event_id = make_event()
    with app.app_context(), app.test_request_context():
        event = _event(event_id)
        cancel_event(db.session.get(User, organiser.id), event, "The speaker is ill.")
        db.session.commit()
        vevent = ical.event_to_vevent(event, settings=calendar_settings(), url="u", status_override="TENTATIVE")
        assert vevent["STATUS"] == "CANCELLED"
        assert vevent["SEQUENCE"] == 1
        assert str(vevent["DESCRIPTION"]).startswith("This event has been cancelled.\nThe speaker is ill.")


def test_drafts_are_marked_for_organisers(app, make_event):
    event_id = make_event(state="draft", title="Quiet planning")
    with app.app_context(), app.test_request_context():
        vevent = ical.event_to_vevent(_event(event_id), settings=calendar_settings(), url="u", for_organiser=True)
        assert str(vevent["SUMMARY"]) == "[Draft] Quiet planning"
        assert vevent["STATUS"] == "TENTATIVE"
        assert vevent["TRANSP"] == "TRANSPARENT"


def test_unknown_status_is_refused(app, make_event):
    event_id = make_event()
    with app.app_context(), pytest.raises(ValueError):
        ical.event_to_vevent(_event(event_id), settings=calendar_settings(), url="u", status_override="MAYBE")


def test_fast_feed_bytes_equal_the_built_calendar(app, rich_event, make_event):
    other = make_event(starts_at=datetime(2028, 6, 1, 9, 0, tzinfo=UTC), state="cancelled")
    with app.app_context(), app.test_request_context():
        entries = [FeedEntry(_event(rich_event)), FeedEntry(_event(other), status_override="TENTATIVE")]
        data = entry_data(entries)
        built = ical.build_calendar(
            [ical.vevent_from_data(d) for d in data], "Feed", tzid=calendar_settings().tzid
        ).to_ical()
        assert ical.feed_bytes(data, "Feed", tzid=calendar_settings().tzid) == built
        assert ical.feed_bytes(data, "Feed", tzid=calendar_settings().tzid) == built  # and again, from the cache
        parsed = icalendar.Calendar.from_ical(built)
        assert parsed["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
        assert [str(v["STATUS"]) for v in parsed.walk("VEVENT")] == ["CONFIRMED", "CANCELLED"]
        # One VTIMEZONE, whose rules hold for every year of the feed.
        [zone] = parsed.walk("VTIMEZONE")
        rules = [(o["RRULE"]["BYMONTH"], o["RRULE"]["BYDAY"]) for o in zone.subcomponents]
        assert rules == [([3], ["-1SU"]), ([10], ["-1SU"])]


def test_invitation_attachments(app, rich_event):
    with app.app_context(), app.test_request_context():
        event = _event(rich_event)
        name, mimetype, data = ical.ics_attachment(
            event,
            settings=calendar_settings(),
            url="https://x.test/e",
            method="REQUEST",
            attendee=("ada@example.org", "Ada"),
        )
        assert (name, mimetype) == ("invite.ics", "text/calendar; method=REQUEST; charset=utf-8")
        parsed = icalendar.Calendar.from_ical(data)
        vevent = parsed.walk("VEVENT")[0]
        assert parsed["METHOD"] == "REQUEST"
        assert str(vevent["ATTENDEE"]) == "mailto:ada@example.org"
        assert vevent["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
        assert "secret-room" in str(vevent["LOCATION"])
        assert str(vevent["UID"]) == ical.event_uid(event, calendar_settings())
        name, mimetype, data = ical.ics_attachment(
            event, settings=calendar_settings(), url="https://x.test/e", method="CANCEL"
        )
        parsed = icalendar.Calendar.from_ical(data)
        assert name == "cancel.ics" and "method=CANCEL" in mimetype
        assert parsed["METHOD"] == "CANCEL"
        assert parsed.walk("VEVENT")[0]["STATUS"] == "CANCELLED"
        with pytest.raises(ValueError):
            ical.ics_attachment(event, settings=calendar_settings(), url="u", method="PUBLISH")


def test_add_to_google_and_outlook_links(app, rich_event):
    with app.app_context(), app.test_request_context():
        event = _event(rich_event)
        google = urlsplit(links.google_calendar_link(event, url="https://x.test/e/1", tzid=calendar_settings().tzid))
        query = {key: values[0] for key, values in parse_qs(google.query).items()}
        assert google.netloc == "calendar.google.com"
        assert query["text"] == "AI, ethics; and \\ the law"
        assert query["dates"] == "20270114T123000Z/20270114T140000Z"
        assert query["ctz"] == "Europe/London"
        assert "https://x.test/e/1" in query["details"]
        outlook = urlsplit(links.outlook_calendar_link(event, url="https://x.test/e/1"))
        query = {key: values[0] for key, values in parse_qs(outlook.query).items()}
        assert outlook.netloc == "outlook.live.com"
        assert query["startdt"] == "2027-01-14T12:30:00Z" and query["enddt"] == "2027-01-14T14:00:00Z"
        assert query["subject"] == event.title
        work = urlsplit(links.outlook_calendar_link(event, url="u", work=True))
        assert work.netloc == "outlook.office.com"


def test_speaker_and_topic_edits_move_last_modified(app, make_event):
    event_id = make_event()
    with app.app_context():
        event = _event(event_id)
        first = event.updated_at
        event.updated_at = first - timedelta(days=1)
        db.session.commit()
        event.speakers.append(Speaker(position=0, name="New Speaker"))
        db.session.commit()
        assert _event(event_id).updated_at > first - timedelta(days=1)
        stamp = _event(event_id).updated_at
        event = _event(event_id)
        event.topics.append(Tag(name="Energy", slug="energy"))
        db.session.commit()
        assert _event(event_id).updated_at >= stamp
        event = _event(event_id)
        event.updated_at = stamp - timedelta(days=2)
        db.session.commit()
        event.speakers[0].name = "Renamed Speaker"
        db.session.commit()
        assert _event(event_id).updated_at > stamp - timedelta(days=2)


def test_the_autumn_hour_that_happens_twice_is_written_in_utc(app, make_event):
    """01:30 happens twice on 31 October 2027; parsers disagree on which a TZID time means."""
    first = make_event(starts_at=datetime(2027, 10, 31, 0, 30, tzinfo=UTC))  # 01:30 BST
    noon = make_event(starts_at=datetime(2027, 10, 31, 12, 0, tzinfo=UTC))  # 12:00 GMT, unambiguous
    with app.app_context(), app.test_request_context():
        text = (
            ical.build_calendar(
                [
                    ical.event_to_vevent(_event(first), settings=calendar_settings(), url="u"),
                    ical.event_to_vevent(_event(noon), settings=calendar_settings(), url="u"),
                ],
                "c",
                tzid=calendar_settings().tzid,
            )
            .to_ical()
            .decode()
        )
        assert "DTSTART:20271031T003000Z" in text
        assert "DTSTART;TZID=Europe/London:20271031T120000" in text


def _vtimezone_lines(tzid: str, start: datetime) -> list[str]:
    """The VTIMEZONE of a calendar file holding one entry that starts at ``start``, line by line."""
    zone = ZoneInfo(tzid)
    entry = ical.EntryData(
        uid="zone@example.org", summary="s", description="d", location="", url="https://example.org", tzid=tzid,
        start=ical.wall_clock(start, zone), end=ical.wall_clock(start + timedelta(hours=1), zone),
        stamp=start, created=None, last_modified=start, sequence=0, status="CONFIRMED",
        organizer_email="e@example.org", organizer_name="E",
    )  # fmt: skip
    calendar_ = ical.build_calendar([ical.vevent_from_data(entry)], "c", tzid=tzid)
    [zone_component] = calendar_.walk("VTIMEZONE")
    return zone_component.to_ical().decode().splitlines()


def test_the_london_vtimezone_is_the_rrule_form_outlook_and_google_write(app, make_event):
    """Two observances repeated every year from 1970, as Outlook writes them: no RDATE, no range of years."""
    event_id = make_event(starts_at=datetime(2027, 6, 1, 12, 0, tzinfo=UTC), audience="public")
    response = app.test_client().get("/calendar.ics")
    assert response.status_code == 200
    text = response.data.decode()
    zone = text[text.index("BEGIN:VTIMEZONE") : text.index("END:VTIMEZONE")].splitlines()
    assert [line for line in zone if line.startswith("RRULE")] == [
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    ]
    assert not [line for line in zone if line.startswith("RDATE")]
    daylight = zone[zone.index("BEGIN:DAYLIGHT") : zone.index("END:DAYLIGHT")]
    standard = zone[zone.index("BEGIN:STANDARD") : zone.index("END:STANDARD")]
    assert sorted(daylight[1:]) == [
        "DTSTART:19700329T010000",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "TZNAME:BST",
        "TZOFFSETFROM:+0000",
        "TZOFFSETTO:+0100",
    ]
    assert sorted(standard[1:]) == [
        "DTSTART:19701025T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "TZNAME:GMT",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0000",
    ]
    with app.app_context():
        assert ical.event_uid(_event(event_id), calendar_settings()) in text
    # The zone does not depend on the entries: a file with an event years later has the same lines.
    assert _vtimezone_lines("Europe/London", datetime(2040, 1, 1, tzinfo=UTC)) == zone + ["END:VTIMEZONE"]


def test_new_york_gets_its_own_rules():
    """The rule comes from the configured zone: the second Sunday of March, the first of November."""
    lines = _vtimezone_lines("America/New_York", datetime(2027, 6, 1, 16, 0, tzinfo=UTC))
    assert "TZID:America/New_York" in lines
    assert [line for line in lines if line.startswith(("RRULE", "DTSTART", "TZOFFSET", "TZNAME"))] == [
        "DTSTART:19700308T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU",
        "TZNAME:EDT",
        "TZOFFSETFROM:-0500",
        "TZOFFSETTO:-0400",
        "DTSTART:19701101T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU",
        "TZNAME:EST",
        "TZOFFSETFROM:-0400",
        "TZOFFSETTO:-0500",
    ]
    assert not [line for line in lines if line.startswith("RDATE")]


@pytest.mark.parametrize("tzid,offset,name", [("UTC", "+0000", "UTC"), ("Asia/Tokyo", "+0900", "JST")])
def test_a_zone_without_clock_changes_has_one_standard_observance(tzid, offset, name):
    lines = _vtimezone_lines(tzid, datetime(2027, 6, 1, 3, 0, tzinfo=UTC))
    assert lines == [
        "BEGIN:VTIMEZONE",
        f"TZID:{tzid}",
        "BEGIN:STANDARD",
        "DTSTART:19700101T000000",
        f"TZNAME:{name}",
        f"TZOFFSETFROM:{offset}",
        f"TZOFFSETTO:{offset}",
        "END:STANDARD",
        "END:VTIMEZONE",
    ]


def test_a_zone_without_a_weekday_rule_lists_each_onset_in_an_rdate_of_its_own():
    """Israel moves its clocks on the Friday before the last Sunday of March, which no BYDAY names; such a
    zone keeps the zone database's onsets, one per RDATE line, because ical.js reads only the first value
    of an RDATE."""
    lines = _vtimezone_lines("Asia/Jerusalem", datetime(2027, 6, 1, 9, 0, tzinfo=UTC))
    assert not [line for line in lines if line.startswith("RRULE")]
    rdates = [line for line in lines if line.startswith("RDATE")]
    assert [line for line in rdates if line.startswith("RDATE:20270326T")]  # Friday 26 March 2027
    assert not any("," in line for line in rdates)


def test_calendar_files_are_built_without_an_application():
    """ical.py is pure: settings come in as arguments, so it runs with no app or request at all."""
    from events.models import Event

    settings = ical.CalendarSettings(
        tzid="Europe/London", uid_domain="events.example.org", organizer_email="e@example.org", organizer_name="E"
    )
    starts = datetime(2016, 10, 12, 11, 30, tzinfo=UTC)
    event = Event(uid="abc", title="Public Service Transformation", state="published", kind="lunch", sequence=2)
    event.starts_at, event.ends_at = starts, starts + timedelta(hours=1, minutes=30)
    event.created_at = event.updated_at = starts
    text = (
        ical.build_calendar(
            [ical.event_to_vevent(event, settings=settings, url="https://events.example.org/events/1")],
            event.title,
            tzid=settings.tzid,
        )
        .to_ical()
        .decode()
    )
    assert "UID:abc@events.example.org" in text and "SEQUENCE:2" in text
    assert "DTSTART;TZID=Europe/London:20161012T123000" in text and "ORGANIZER;CN=E:mailto:e@example.org" in text
