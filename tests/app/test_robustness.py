"""Odd input gets an ordinary page or a clear 4xx, never a 500, on SQLite and PostgreSQL alike: page
numbers and ids too big for the database, Unicode digits, NUL characters, out-of-range dates and
capacities, calendar files at the ends of the calendar, and choices that only look blank."""

from __future__ import annotations

import base64
import io
import re
import zlib

import pytest
from sqlalchemy import func, select

from core.models import Tag
from events.models import Event
from extensions import db
from fellows.models import JoinRequest, User
from tests.events_helpers import event_form, text_of
from tests.notes_helpers import make_note_fixture, past  # noqa: F401  (make_note is a fixture)

HUGE = "99999999999999999999"  # more than any database integer
ROLES = ("anonymous", "fellow", "organiser")


@pytest.fixture
def as_role(app, make_fellow, make_organiser, login):
    """as_role(role) → a test client for an anonymous visitor, a signed-in fellow or an organiser."""

    def client_for(role: str):
        if role == "anonymous":
            return app.test_client()
        return login(make_fellow() if role == "fellow" else make_organiser())

    return client_for


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# Query strings --------------------------------------------------------------------------------

LIST_PAGES = [
    ("anonymous", "/events"),
    ("anonymous", "/notes"),
    ("fellow", "/fellows"),
    ("organiser", "/organiser/fellows"),
    ("organiser", "/organiser/organisations"),
    ("organiser", "/organiser/events"),
    ("organiser", "/organiser/notes"),
]


@pytest.mark.parametrize("page", ["-1", "0", "abc", "²", "99999", HUGE])
@pytest.mark.parametrize(("role", "path"), LIST_PAGES)
def test_any_page_number_shows_a_page(as_role, make_event, role, path, page):
    make_event(audience="public")
    response = as_role(role).get(path, query_string={"page": page})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("role", "path", "args", "status"),
    [
        ("anonymous", "/events", {"host": HUGE}, 200),
        ("anonymous", "/events", {"host": "²"}, 200),
        ("anonymous", "/notes", {"year": "²"}, 200),
        ("anonymous", "/notes", {"q": "x" * 5000, "kind": "nonsense", "topic": "%"}, 200),
        ("fellow", "/fellows", {"cohort": HUGE}, 200),
        ("fellow", "/fellows", {"cohort": "²", "sector": "nonsense", "q": "x" * 5000}, 200),
        ("organiser", "/organiser/notes", {"event": HUGE}, 200),
        ("organiser", "/organiser/notes", {"event": "²"}, 200),
        ("organiser", "/organiser/notes/new", {"event_id": "²"}, 302),
        ("organiser", "/organiser/notes/new", {"event_id": HUGE}, 302),
    ],
)
def test_filters_ignore_numbers_the_database_cannot_hold(as_role, role, path, args, status):
    response = as_role(role).get(path, query_string=args)
    assert response.status_code == status
    if status == 302:
        assert response.headers["Location"] == "/organiser/notes"


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("anonymous", f"/events/{HUGE}"),
        ("anonymous", f"/events/{HUGE}/event.ics"),
        ("anonymous", f"/notes/{HUGE}"),
        ("anonymous", f"/fellows/{HUGE}/photo"),
        ("fellow", f"/fellows/{HUGE}"),
        ("fellow", f"/organisations/{HUGE}"),
        ("organiser", f"/organiser/events/{HUGE}/edit"),
        ("organiser", f"/organiser/events/{HUGE}/attendees.csv"),
        ("organiser", f"/organiser/notes/{HUGE}/revisions"),
        ("organiser", f"/organiser/fellows/{HUGE}/edit"),
    ],
)
def test_ids_too_big_for_the_database_are_404(as_role, role, path):
    assert as_role(role).get(path).status_code == 404


# NUL characters (PostgreSQL refuses them in text) ---------------------------------------------


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("anonymous", "/events?q=Grid%00"),
        ("anonymous", "/notes?q=Grid%00"),
        ("fellow", "/fellows?q=Grid%00"),
        ("organiser", "/organiser/organisations?q=Grid%00"),
        ("organiser", "/organiser/fellows?q=Grid%00"),
        ("organiser", "/organiser/events?q=Grid%00"),
    ],
)
def test_nul_characters_in_a_search_are_dropped(as_role, make_fellow, make_organisation, role, path):
    make_fellow(name="Grid Fellow", visibility="fellows", organisation_id=make_organisation(name="Grid Lab").id)
    response = as_role(role).get(path)
    assert response.status_code == 200
    if "fellows" in path or "organisations" in path:
        assert "Grid" in text_of(response)


@pytest.mark.parametrize("path", ["/calendar/a%00b.ics", "/review/a%00b", "/password/reset/a%00b"])
def test_a_path_with_a_nul_character_names_nothing(client, path):
    assert client.get(path).status_code == 404


def test_nul_characters_in_form_fields_are_dropped_before_saving(app, as_role, make_fellow, login):
    assert as_role("organiser").post("/organiser/topics", data={"name": "Ener\x00gy"}).status_code == 302
    fellow = make_fellow()
    data = {"name": "Ada", "fellow_status": "current", "biography": "Pasted\x00 text"}
    assert login(fellow).post("/profile/edit", data=data).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Tag.name)) == "Energy"
        assert db.session.get(User, fellow.id).biography == "Pasted text"


# Events ---------------------------------------------------------------------------------------


def test_a_capacity_too_big_for_the_database_is_400(app, as_role, make_event):
    organiser = as_role("organiser")
    created = organiser.post("/organiser/events/new", data=event_form(capacity=HUGE))
    assert created.status_code == 400 and "Enter at most 100,000 places" in text_of(created)
    assert count(app, Event) == 0
    event_id = make_event(capacity=5)
    changed = organiser.post(f"/organiser/events/{event_id}/capacity", data={"capacity": HUGE})
    assert changed.status_code == 400 and "Enter at most 100,000 places" in text_of(changed)
    with app.app_context():
        assert db.session.get(Event, event_id).capacity == 5


@pytest.mark.parametrize(
    "times",
    [
        # A typo such as year 9999 used to be saved, then broke every calendar feed listing the event.
        {"starts_at": "9999-12-31T10:00", "ends_at": "9999-12-31T12:00"},
        {"starts_at": "0001-01-01T10:00", "ends_at": "0001-01-01T12:00"},
        {"registration_opens_at": "1900-01-01T09:00"},
    ],
)
def test_event_dates_outside_the_supported_years_are_400(app, as_role, times):
    response = as_role("organiser").post("/organiser/events/new", data=event_form(**times))
    assert response.status_code == 400
    assert "Enter a date between 1970 and 2100" in text_of(response)
    assert count(app, Event) == 0
    assert as_role("anonymous").get("/calendar.ics").status_code == 200


ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n"
    "DTSTAMP:20270101T000000Z\r\nDTSTART{start}\r\n{extra}SUMMARY:Edge\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def upload_ics(client, text: str):
    data = {"file": (io.BytesIO(text.encode()), "partner.ics")}
    return client.post("/organiser/events/import", data=data, content_type="multipart/form-data")


@pytest.mark.parametrize(
    ("start", "extra"),
    [
        (":99991231T230000Z", "DURATION:PT2H\r\n"),  # lengthening overflows
        (";TZID=America/New_York:99991231T230000", ""),  # moving to UTC overflows
        (":00010101T000000Z", ""),  # shown in London time it would be year 0
        (":21500101T100000Z", ""),  # readable, but outside the supported years
    ],
)
def test_calendar_entries_at_the_ends_of_the_calendar_are_listed_as_problems(app, as_role, start, extra):
    response = upload_ics(as_role("organiser"), ICS.format(uid="edge@partner.example", start=start, extra=extra))
    assert response.status_code == 200
    assert "Not imported" in text_of(response) and 'name="calendar"' not in response.get_data(as_text=True)
    assert count(app, Event) == 0


def test_a_calendar_file_with_a_nul_character_is_refused(app, as_role):
    text = ICS.format(uid="nul\x00@partner.example", start=":20300101T100000Z", extra="")
    response = upload_ics(as_role("organiser"), text)
    assert response.status_code == 400 and "binary data" in text_of(response)
    assert count(app, Event) == 0


def test_a_forged_confirmation_that_unpacks_to_a_huge_file_is_refused(app, as_role):
    packed = base64.b64encode(zlib.compress(b" " * (11 * 1024 * 1024), 9)).decode()
    response = as_role("organiser").post("/organiser/events/import/confirm", data={"calendar": packed})
    assert response.status_code == 400 and "too large" in text_of(response)
    assert count(app, Event) == 0


# Fellows and topics ---------------------------------------------------------------------------


def test_a_topic_whose_slug_would_outgrow_its_column_is_saved(app, as_role):
    # NFKD spells "ⅷ" as "viii": 80 characters of name would make a 320-character slug.
    response = as_role("organiser").post("/organiser/topics", data={"name": "ⅷ" * 80})
    assert response.status_code == 302
    with app.app_context():
        tag = db.session.scalar(select(Tag))
        assert tag.name == "ⅷ" * 80 and tag.slug == "viii" * 20


@pytest.mark.parametrize("form", ["own profile", "organiser's edit", "invitation"])
def test_choices_that_only_look_blank_are_saved_as_none(app, as_role, make_fellow, login, form):
    blank = {"name": "Ada Lovelace", "honorific": " ", "sector": " ", "fellow_status": "current"}
    if form == "own profile":
        fellow = make_fellow(email="ada@example.org")
        response = login(fellow).post("/profile/edit", data=blank)
    elif form == "organiser's edit":
        fellow = make_fellow(email="ada@example.org")
        response = as_role("organiser").post(
            f"/organiser/fellows/{fellow.id}/edit", data={**blank, "email": "ada@example.org"}
        )
    else:
        response = as_role("organiser").post("/organiser/fellows/invite", data={**blank, "email": "ada@example.org"})
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.scalar(select(User).where(User.email == "ada@example.org"))
        assert (saved.name, saved.honorific, saved.sector) == ("Ada Lovelace", None, None)


def test_topic_ids_that_are_not_plain_numbers_are_ignored(app, make_fellow, login):
    fellow = make_fellow(interests=("Energy",))
    with app.app_context():
        energy = db.session.scalar(select(Tag)).id
    response = login(fellow).post(
        "/profile/edit", data={"name": "Ada", "fellow_status": "current", "interests": ["²", HUGE, str(energy)]}
    )
    assert response.status_code == 302
    with app.app_context():
        assert [tag.id for tag in db.session.get(User, fellow.id).interests] == [energy]


# Notes ----------------------------------------------------------------------------------------


def test_a_note_without_revisions_has_a_history_page(as_role, make_event, make_note):
    note_id = make_note(make_event(starts_at=past()))  # e.g. made by a data migration, not the editor
    response = as_role("organiser").get(f"/organiser/notes/{note_id}/revisions")
    assert response.status_code == 200


def test_a_damaged_version_field_is_a_conflict_not_an_error(app, as_role, make_event, make_note):
    note_id = make_note(make_event(starts_at=past()), state="draft", published_at=None)
    data = {"version": "²", "title": "T", "summary": "S", "body": "B", "audience": "public"}
    response = as_role("organiser").post(f"/organiser/notes/{note_id}/edit", data=data)
    assert response.status_code == 409
    assert re.search(r"your changes were not saved", text_of(response))


def test_control_characters_pasted_into_a_note_keep_the_atom_feed_readable(client, make_event, make_note):
    import feedparser

    # A word processor's line break pastes as a vertical tab, which XML does not allow even escaped.
    make_note(make_event(audience="public"), title="Policy\x0blunch", summary="Grid\x01", body="One\x0btwo")
    feed = feedparser.parse(client.get("/notes/feed.atom").data)
    assert not feed.bozo, feed.get("bozo_exception")
    assert [entry.title for entry in feed.entries] == ["Policylunch"]


@pytest.mark.parametrize(
    ("who", "path", "data", "message"),
    [
        (
            "anonymous",
            "/join",
            {"name": "   ", "email": "n@example.org", "organisation": "HMT", "reason": "Hi"},
            "Enter your name",
        ),
        ("organiser", "/organiser/topics", {"name": " \t "}, "Enter a topic"),
        ("organiser", "/organiser/fellows/invite", {"name": "  ", "email": "n@example.org"}, "Enter a name"),
        ("fellow", "/profile/edit", {"name": "   ", "fellow_status": "current"}, "Enter a name"),
    ],
)
def test_a_required_box_holding_only_spaces_is_empty(app, as_role, make_fellow, login, who, path, data, message):
    """Spaces are stripped before saving, so a box of spaces is refused as empty, not saved blank."""
    client = login(make_fellow()) if who == "fellow" else as_role(who) if who != "anonymous" else app.test_client()
    before = {model: count(app, model) for model in (Tag, User, JoinRequest)}
    response = client.post(path, data=data)
    assert response.status_code == 400 and message in text_of(response)
    assert {model: count(app, model) for model in (Tag, User, JoinRequest)} == before
    if who == "fellow":
        with app.app_context():
            assert all(user.name.strip() for user in db.session.scalars(select(User)))
