"""Organisers import a partner's .ics file: preview first, drafts on confirmation, no duplicates."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from core.models import Tag
from events.models import Event
from extensions import db

PARTNER_ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Partner Institute//Outlook 16.0//EN\r
BEGIN:VTIMEZONE\r
TZID:GMT Standard Time\r
BEGIN:STANDARD\r
DTSTART:16011028T020000\r
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:-0000\r
END:STANDARD\r
BEGIN:DAYLIGHT\r
DTSTART:16010325T010000\r
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r
TZOFFSETFROM:-0000\r
TZOFFSETTO:+0100\r
END:DAYLIGHT\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
UID:summer-seminar@partner.example\r
DTSTAMP:20270101T000000Z\r
DTSTART;TZID=GMT Standard Time:20270708T123000\r
DTEND;TZID=GMT Standard Time:20270708T140000\r
SUMMARY:Summer seminar\\, with lunch\r
DESCRIPTION:Line one\\nLine two\\; with a semicolon\r
LOCATION:Partner House\\, 2 Research Road\r
URL:https://partner.example/events/42\r
CATEGORIES:Energy,Unknown topic\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:winter-talk@partner.example\r
DTSTAMP:20270101T000000Z\r
DTSTART:20270114T123000Z\r
DURATION:PT90M\r
SUMMARY:Winter talk\r
LOCATION:https://meet.partner.example/winter\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:floating@partner.example\r
DTSTAMP:20270101T000000Z\r
DTSTART:20270610T090000\r
SUMMARY:Floating breakfast\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:all-day@partner.example\r
DTSTAMP:20270101T000000Z\r
DTSTART;VALUE=DATE:20270915\r
DTEND;VALUE=DATE:20270916\r
SUMMARY:Conference day\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:weekly@partner.example\r
DTSTAMP:20270101T000000Z\r
DTSTART:20270301T120000Z\r
RRULE:FREQ=WEEKLY;COUNT=4\r
SUMMARY:Weekly stand-up\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:broken@partner.example\r
DTSTAMP:20270101T000000Z\r
DTSTART:not-a-date\r
SUMMARY:Broken entry\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:untitled@partner.example\r
DTSTART:20270301T120000Z\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART:20270301T120000Z\r
SUMMARY:No UID\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:backwards@partner.example\r
DTSTART:20270301T120000Z\r
DTEND:20270301T110000Z\r
SUMMARY:Ends before it starts\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:mars@partner.example\r
DTSTART;TZID=Mars/Olympus_Mons:20270301T120000\r
SUMMARY:Martian time\r
END:VEVENT\r
END:VCALENDAR\r
"""

READABLE = {"Summer seminar, with lunch", "Winter talk", "Floating breakfast", "Conference day"}


def _upload(client, content: str | bytes, filename: str = "partner.ics"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        "/organiser/events/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _packed(html: str) -> str:
    return re.search(r'name="calendar" type="hidden" value="([^"]+)"', html).group(1)


def _events(app) -> dict[str, Event]:
    with app.app_context():
        events = db.session.scalars(select(Event)).all()
        for event in events:
            event.topics  # noqa: B018 - load before leaving the session
            db.session.expunge(event)
        return {event.title: event for event in events}


@pytest.fixture
def organiser_client(app, login, make_organiser):
    with app.app_context():
        db.session.add(Tag(name="Energy", slug="energy"))
        db.session.commit()
    return login(make_organiser())


def test_preview_lists_entries_and_problems_and_creates_nothing(app, organiser_client):
    response = _upload(organiser_client, PARTNER_ICS)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for title in READABLE:
        assert title in html
    assert html.count("New draft") == 4
    assert "Not imported: it is part of a repeating event" in html
    assert "Broken entry" in html and "DTSTART" in html
    assert "Not imported: it has no title (SUMMARY)." in html
    assert "Not imported: it has no UID" in html
    assert "Not imported: it ends before it starts." in html
    assert "Not imported: its time zone “Mars/Olympus_Mons” is unknown." in html
    assert "6 entries cannot be imported" in html
    assert "An all-day event" in html
    with app.app_context():
        assert db.session.scalar(select(func.count(Event.id))) == 0


def test_confirming_creates_drafts_read_in_the_right_zones(app, organiser_client):
    preview = _upload(organiser_client, PARTNER_ICS).get_data(as_text=True)
    response = organiser_client.post("/organiser/events/import/confirm", data={"calendar": _packed(preview)})
    assert response.status_code == 302
    events = _events(app)
    assert set(events) == READABLE
    assert {event.state for event in events.values()} == {"draft"}

    seminar = events["Summer seminar, with lunch"]
    # 12:30 in Outlook's "GMT Standard Time" in July is 12:30 BST = 11:30 UTC.
    assert seminar.starts_at == datetime(2027, 7, 8, 11, 30, tzinfo=UTC)
    assert seminar.ends_at == datetime(2027, 7, 8, 13, 0, tzinfo=UTC)
    assert seminar.import_uid == "summer-seminar@partner.example"
    assert seminar.venue_name == "Partner House, 2 Research Road"
    assert (
        seminar.description == "Line one\nLine two; with a semicolon\n\nImported from https://partner.example/events/42"
    )
    assert [tag.name for tag in seminar.topics] == ["Energy"]
    assert seminar.kind == "other" and seminar.audience == "fellows"

    winter = events["Winter talk"]
    assert winter.starts_at == datetime(2027, 1, 14, 12, 30, tzinfo=UTC)
    assert winter.ends_at == datetime(2027, 1, 14, 14, 0, tzinfo=UTC)
    assert winter.online_url == "https://meet.partner.example/winter" and winter.venue_name is None

    floating = events["Floating breakfast"]  # no zone: read as London time (BST in June)
    assert floating.starts_at == datetime(2027, 6, 10, 8, 0, tzinfo=UTC)
    assert floating.ends_at == datetime(2027, 6, 10, 9, 0, tzinfo=UTC)

    day = events["Conference day"]  # all day: London midnight to midnight
    assert day.starts_at == datetime(2027, 9, 14, 23, 0, tzinfo=UTC)
    assert day.ends_at == datetime(2027, 9, 15, 23, 0, tzinfo=UTC)


def test_importing_the_same_file_again_duplicates_nothing(app, organiser_client):
    preview = _upload(organiser_client, PARTNER_ICS).get_data(as_text=True)
    organiser_client.post("/organiser/events/import/confirm", data={"calendar": _packed(preview)})

    again = _upload(organiser_client, PARTNER_ICS).get_data(as_text=True)
    assert again.count("Already imported, unchanged: skipped") == 4
    assert "There is nothing new to import." in again
    assert 'name="calendar"' not in again

    # The partner moves one event and renames another; one earlier import has been published since.
    with app.app_context():
        db.session.scalar(select(Event).filter_by(title="Winter talk")).state = "published"
        db.session.commit()
    changed = (
        PARTNER_ICS.replace("20270708T123000", "20270708T133000")
        .replace("Floating breakfast", "Floating breakfast, moved")
        .replace("PT90M", "PT2H")
    )
    preview = _upload(organiser_client, changed).get_data(as_text=True)
    assert preview.count("Updates the draft imported before") == 2
    assert "Already imported and published: left as it is" in preview
    response = organiser_client.post("/organiser/events/import/confirm", data={"calendar": _packed(preview)})
    assert response.status_code == 302
    events = _events(app)
    assert len(events) == 4
    assert events["Summer seminar, with lunch"].starts_at == datetime(2027, 7, 8, 12, 30, tzinfo=UTC)
    assert "Floating breakfast, moved" in events
    assert events["Winter talk"].ends_at == datetime(2027, 1, 14, 14, 0, tzinfo=UTC)  # published: untouched


def test_a_uid_twice_in_one_file_is_imported_once(app, organiser_client):
    entry = "BEGIN:VEVENT\r\nUID:twice@x\r\nDTSTART:20270301T120000Z\r\nSUMMARY:Twice\r\nEND:VEVENT\r\n"
    content = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n{entry}{entry}END:VCALENDAR\r\n"
    preview = _upload(organiser_client, content).get_data(as_text=True)
    assert "its UID appears earlier in the file" in preview
    organiser_client.post("/organiser/events/import/confirm", data={"calendar": _packed(preview)})
    assert list(_events(app)) == ["Twice"]


@pytest.mark.parametrize(
    "content,filename,message",
    [
        (b"Subject,Start\nLunch,2027-01-01\n", "events.ics", "it has no BEGIN:VCALENDAR"),
        (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "empty.ics", "holds no events"),
        ("BEGIN:VCALENDAR\r\nSUMMARY:caf\u00e9\r\n".encode("latin-1"), "latin.ics", "not UTF-8"),
        (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\n", "cut.ics", "it was probably cut short"),
        (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VCALENDAR\r\n", "open.ics", "an entry is not closed"),
        (b"BEGIN:VCALENDAR\r\nEND:VTODO\r\nEND:VCALENDAR\r\n", "bad.ics", "could not be read as a calendar"),
        (b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "notes.txt", "Upload an .ics calendar file"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(app, organiser_client, content, filename, message):
    response = _upload(organiser_client, content, filename)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Event.id))) == 0


def test_no_file_and_a_tampered_confirmation_are_refused(app, organiser_client):
    response = organiser_client.post("/organiser/events/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Choose an .ics file" in response.get_data(as_text=True)
    response = organiser_client.post("/organiser/events/import/confirm", data={"calendar": "not base64!"})
    assert response.status_code == 400
    assert "did not come back intact" in response.get_data(as_text=True)
    assert organiser_client.post("/organiser/events/import/confirm", data={}).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(Event.id))) == 0


@pytest.mark.parametrize("route", ["/organiser/events/import", "/organiser/events/import/confirm"])
@pytest.mark.parametrize("role,expected", [("anonymous", 302), ("fellow", 403)])
def test_only_organisers_import(client, login, make_fellow, route, role, expected):
    viewer = client if role == "anonymous" else login(make_fellow())
    response = viewer.post(route, data={})
    assert response.status_code == expected
    if route.endswith("import"):
        assert viewer.get(route).status_code == expected
