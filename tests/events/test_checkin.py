"""The day of the event: the check-in page (search, one tap, undo, without JavaScript) and the printed
sign-in sheet and name badges (PDF)."""

from __future__ import annotations

import io
import itertools
import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from extensions import db
from tests.conftest import PASSWORD
from tests.events_helpers import booking_of, text_of


@pytest.fixture
def organiser_client(make_organiser, login):
    return login(make_organiser(name="Olive Organiser"))


#: The configured zone (TIMEZONE's default), where "today" is decided.
LONDON = ZoneInfo("Europe/London")


def today_at_noon() -> datetime:
    """Noon today in London (in UTC): an event "today" at whatever time the tests run."""
    return datetime.combine(datetime.now(LONDON).date(), time(12, 0), tzinfo=LONDON).astimezone(UTC)


def local_date(value: datetime, fmt: str) -> str:
    return value.astimezone(LONDON).strftime(fmt)


@pytest.fixture
def event_today(make_event):
    def factory(**fields) -> int:
        starts = fields.pop("starts_at", today_at_noon())
        return make_event(starts_at=starts, ends_at=starts + timedelta(hours=2), **fields)

    return factory


_emails = itertools.count()


def seat(app, event_id: int, *names: str, state: str = "confirmed", organisation: str | None = None, **answers):
    """Fellows called ``names`` with a booking in ``state``, written straight to the database; their ids."""
    from events.models import Booking
    from fellows.models import Organisation, User

    with app.app_context():
        host = None
        if organisation:
            host = db.session.scalar(select(Organisation).filter_by(name=organisation))
            host = host or Organisation(name=organisation, kind="government")
        ids = []
        for name in names:
            email = f"seated{next(_emails)}@example.org"
            user = User(role="fellow", name=name, email=email, visibility="fellows", organisation=host)
            db.session.add(user)
            db.session.flush()
            db.session.add(Booking(event_id=event_id, user_id=user.id, state=state, **answers))
            ids.append(user.id)
        db.session.commit()
        return ids


def check_in_url(event_id: int, **args) -> str:
    query = "&".join(f"{key}={value}" for key, value in args.items())
    return f"/organiser/events/{event_id}/check-in" + (f"?{query}" if query else "")


def tap(client, booking_id: int, attendance: str, **back):
    return client.post(f"/organiser/bookings/{booking_id}/check-in", data={"attendance": attendance, **back})


# The check-in page


def test_a_name_search_lists_confirmed_people_only(app, event_today, organiser_client):
    event_id = event_today(capacity=10)
    seat(app, event_id, "Amelia Hart", "Ben Okafor", organisation="HM Treasury")
    seat(app, event_id, "Amelia Waiting", state="waitlisted")
    seat(app, event_id, "Amelia Gone", state="cancelled")

    everyone = text_of(organiser_client.get(check_in_url(event_id)))
    assert "Checked in 0 of 2" in everyone
    assert "Amelia Hart" in everyone and "Ben Okafor" in everyone and "HM Treasury" in everyone
    assert "Waiting" not in everyone and "Gone" not in everyone
    assert "This event is on" not in everyone and "This event was on" not in everyone

    found = text_of(organiser_client.get(check_in_url(event_id, find="amel")))
    assert "Amelia Hart" in found and "Ben Okafor" not in found and "Amelia Waiting" not in found
    assert "1 person matching “amel”" in found and "Checked in 0 of 2" in found
    nobody = organiser_client.get(check_in_url(event_id, find="zebedee"))
    assert nobody.status_code == 200 and "Nobody with a confirmed place matches “zebedee”" in text_of(nobody)


def test_one_tap_checks_someone_in_and_returns_to_the_same_search(app, event_today, organiser_client):
    event_id = event_today()
    amelia, ben = seat(app, event_id, "Amelia Hart", "Ben Okafor")
    booking_id = booking_of(app, event_id, amelia).id

    response = tap(organiser_client, booking_id, "attended", find="amelia", page="1", waiting="")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/organiser/events/{event_id}/check-in?find=amelia#booking-{booking_id}"
    )
    assert booking_of(app, event_id, amelia).attendance == "attended"
    assert booking_of(app, event_id, ben).attendance is None
    page = organiser_client.get(check_in_url(event_id, find="amelia"))
    text = text_of(page)
    assert "Amelia Hart is checked in." in text and "Checked in 1 of 2" in text
    assert f'id="booking-{booking_id}"' in page.get_data(as_text=True)
    assert "Undo for Amelia Hart" in text and "Check in for Amelia Hart" not in text
    # The attendee page shows the same attendance: there is one record of it.
    assert "Attended" in text_of(organiser_client.get(f"/organiser/events/{event_id}/attendees"))


def test_undo_and_no_show(app, event_today, organiser_client):
    event_id = event_today()
    (amelia,) = seat(app, event_id, "Amelia Hart")
    booking_id = booking_of(app, event_id, amelia).id
    tap(organiser_client, booking_id, "attended")

    undone = tap(organiser_client, booking_id, "")
    assert undone.status_code == 302 and booking_of(app, event_id, amelia).attendance is None
    assert "Checked in 0 of 1" in text_of(organiser_client.get(check_in_url(event_id)))

    tap(organiser_client, booking_id, "no_show")
    assert booking_of(app, event_id, amelia).attendance == "no_show"
    text = text_of(organiser_client.get(check_in_url(event_id)))
    assert "Amelia Hart is marked as a no-show." in text and "No-show" in text and "Checked in 0 of 1" in text
    assert "Check in for Amelia Hart" in text and "Undo no-show for Amelia Hart" in text

    refused = tap(organiser_client, booking_id, "maybe")
    assert refused.status_code == 400 and booking_of(app, event_id, amelia).attendance == "no_show"


def test_only_people_not_yet_checked_in(app, event_today, organiser_client):
    event_id = event_today()
    amelia, _ = seat(app, event_id, "Amelia Hart", "Ben Okafor")
    response = tap(organiser_client, booking_of(app, event_id, amelia).id, "attended", waiting="1", page="1")
    assert "waiting=1" in response.headers["Location"]

    waiting = text_of(organiser_client.get(check_in_url(event_id, waiting=1)))
    assert "Ben Okafor" in waiting and "Amelia Hart" not in waiting.replace("Amelia Hart is checked in.", "")
    assert "Checked in 1 of 2" in waiting


def test_waitlisted_people_cannot_be_checked_in(app, event_today, organiser_client):
    event_id = event_today()
    (waiting,) = seat(app, event_id, "Will Waiting", state="waitlisted")
    refused = tap(organiser_client, booking_of(app, event_id, waiting).id, "attended")
    assert refused.status_code == 409 and "confirmed places only" in text_of(refused)
    assert booking_of(app, event_id, waiting).attendance is None


def test_the_page_works_without_javascript(app, csrf_app, event_today, make_organiser):
    """A plain GET form to search and a plain POST form (with its CSRF token) per tap: a browser without
    JavaScript does all of it, as this client does, with CSRF protection switched on."""
    event_id = event_today()
    (amelia,) = seat(app, event_id, "Amelia Hart")
    booking_id = booking_of(app, event_id, amelia).id
    client = csrf_app.test_client()
    login_form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_form).group(1)
    signed_in = client.post("/login", data={"email": make_organiser().email, "password": PASSWORD, "csrf_token": token})
    assert signed_in.status_code == 302

    html = client.get(check_in_url(event_id, find="hart")).get_data(as_text=True)
    assert re.search(rf'<form method="get" action="/organiser/events/{event_id}/check-in"', html)
    assert 'name="find" value="hart"' in html
    form = re.search(rf'<form method="post" action="/organiser/bookings/{booking_id}/check-in"(.*?)</form>', html, re.S)
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', form.group(1)))
    assert fields["attendance"] == "attended" and fields["find"] == "hart" and fields["csrf_token"]
    assert '<button type="submit"' in form.group(1)

    without_token = client.post(f"/organiser/bookings/{booking_id}/check-in", data={"attendance": "attended"})
    assert without_token.status_code == 400 and booking_of(app, event_id, amelia).attendance is None
    page = client.post(f"/organiser/bookings/{booking_id}/check-in", data=fields)
    assert page.status_code == 302 and booking_of(app, event_id, amelia).attendance == "attended"


def test_another_day_is_said_and_before_the_day_nobody_can_be_checked_in(app, make_event, organiser_client):
    starts = today_at_noon() + timedelta(days=3)
    upcoming = make_event(starts_at=starts, ends_at=starts + timedelta(hours=2))
    (amelia,) = seat(app, upcoming, "Amelia Hart")
    text = text_of(organiser_client.get(check_in_url(upcoming)))
    assert f"This event is on {local_date(starts, '%A %-d %B %Y')}: check-in opens that day." in text
    assert "Amelia Hart" in text and "Check in for Amelia Hart" not in text
    refused = tap(organiser_client, booking_of(app, upcoming, amelia).id, "attended")
    assert refused.status_code == 409 and "from the day of the event" in text_of(refused)
    assert booking_of(app, upcoming, amelia).attendance is None

    began = today_at_noon() - timedelta(days=2)
    past = make_event(starts_at=began, ends_at=began + timedelta(hours=2))
    (ben,) = seat(app, past, "Ben Okafor")
    text = text_of(organiser_client.get(check_in_url(past)))
    assert f"This event was on {local_date(began, '%A %-d %B %Y')}. You can still record who came." in text
    assert tap(organiser_client, booking_of(app, past, ben).id, "attended").status_code == 302
    assert booking_of(app, past, ben).attendance == "attended"


@pytest.mark.parametrize("state", ["draft", "cancelled"])
def test_only_published_events_have_a_check_in(app, event_today, organiser_client, state):
    event_id = event_today(state=state)
    (amelia,) = seat(app, event_id, "Amelia Hart")
    booking_id = booking_of(app, event_id, amelia).id
    assert organiser_client.get(check_in_url(event_id)).status_code == 404
    assert tap(organiser_client, booking_id, "attended").status_code == 404
    assert organiser_client.get(f"/organiser/events/{event_id}/sign-in-sheet.pdf").status_code == 404
    assert organiser_client.get(f"/organiser/events/{event_id}/badges.pdf").status_code == 404
    assert booking_of(app, event_id, amelia).attendance is None


def test_a_long_list_is_paged_and_costs_the_same_queries(app, event_today, organiser_client, count_queries):
    small, large = event_today(), event_today()
    seat(app, small, *(f"Fellow Small{n:03}" for n in range(3)))
    seat(app, large, *(f"Fellow Large{n:03}" for n in range(120)))

    def queries(event_id) -> int:
        organiser_client.get(check_in_url(event_id))  # a warm request, as the others are measured
        with count_queries() as counter:
            assert organiser_client.get(check_in_url(event_id)).status_code == 200
        return counter.count

    assert queries(small) == queries(large)
    first = text_of(organiser_client.get(check_in_url(large)))
    assert "Checked in 0 of 120" in first and "Fellow Large049" in first and "Fellow Large050" not in first
    assert "Page 1 of 3" in first
    third = text_of(organiser_client.get(check_in_url(large, page=3)))
    assert "Fellow Large119" in third and "Fellow Large049" not in third


# Sign-in sheet and badges


def pdf_text(response) -> tuple[str, int]:
    """The text of a PDF response (whitespace collapsed) and its number of pages."""
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split()), len(reader.pages)


def test_the_sign_in_sheet_lists_confirmed_people_by_surname(app, event_today, organiser_client):
    event_id = event_today(title="Public Service Transformation", venue_name="70 Whitehall")
    seat(app, event_id, "Zoe Adams", "Amelia Hart", organisation="HM Treasury", dietary_requirements="Vegan")
    seat(app, event_id, "Ben Okafor", organisation="Policy Lab", access_needs="Step-free access")
    seat(app, event_id, "Will Waiting", state="waitlisted")
    seat(app, event_id, "Carl Cancelled", state="cancelled")

    response = organiser_client.get(f"/organiser/events/{event_id}/sign-in-sheet.pdf")

    text, pages = pdf_text(response)
    assert pages == 1
    assert "Public Service Transformation" in text and "70 Whitehall" in text
    assert local_date(today_at_noon(), "%-d %b %Y") in text
    assert "Name Organisation Signature" in text and "Page 1 of 1" in text
    assert text.index("Zoe Adams") < text.index("Amelia Hart") < text.index("Ben Okafor")
    assert "HM Treasury" in text and "Policy Lab" in text
    assert "Will Waiting" not in text and "Carl Cancelled" not in text
    assert "Vegan" not in text and "Step-free" not in text and "@example.org" not in text
    assert 'filename="sign-in-sheet-public-service-transformation-' in response.headers["Content-Disposition"]


def test_the_sign_in_sheet_grows_a_page_at_a_time(app, event_today, organiser_client):
    event_id = event_today()
    seat(app, event_id, *(f"Fellow Number{n:03}" for n in range(80)))
    text, pages = pdf_text(organiser_client.get(f"/organiser/events/{event_id}/sign-in-sheet.pdf"))
    assert pages >= 3
    assert f"Page {pages} of {pages}" in text and "Fellow Number000" in text and "Fellow Number079" in text
    assert text.count("Name Organisation Signature") == pages  # the table's header on every page


def test_badges_eight_to_a_page(app, event_today, organiser_client):
    from core.models import AuditEntry

    event_id = event_today(title="Data lunch")
    seat(app, event_id, "Amelia Hart", organisation="HM Treasury", dietary_requirements="Vegan")
    seat(app, event_id, *(f"Fellow Badge{n:02}" for n in range(16)))

    response = organiser_client.get(f"/organiser/events/{event_id}/badges.pdf")

    text, pages = pdf_text(response)
    assert pages == 3  # 17 badges, 8 a page
    assert "Amelia Hart HM Treasury Data lunch" in text
    assert all(f"Fellow Badge{n:02}" in text for n in range(16))
    assert "Vegan" not in text and "@example.org" not in text
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "attendees.printed")).one()
        assert entry.summary == "Badges: 17 names, Data lunch"


def test_printouts_of_an_empty_event(event_today, organiser_client):
    event_id = event_today()
    assert pdf_text(organiser_client.get(f"/organiser/events/{event_id}/sign-in-sheet.pdf"))[1] == 1
    text, pages = pdf_text(organiser_client.get(f"/organiser/events/{event_id}/badges.pdf"))
    assert pages == 1 and "Nobody has a confirmed place yet." in text


def test_the_pages_link_to_each_other(app, event_today, organiser_client):
    event_id = event_today()
    attendees = organiser_client.get(f"/organiser/events/{event_id}/attendees").get_data(as_text=True)
    check_in = organiser_client.get(check_in_url(event_id)).get_data(as_text=True)
    for html in (attendees, check_in):
        assert f"/organiser/events/{event_id}/sign-in-sheet.pdf" in html
        assert f"/organiser/events/{event_id}/badges.pdf" in html
    assert f'href="/organiser/events/{event_id}/check-in"' in attendees


# Access


@pytest.mark.parametrize("path", ["check-in", "sign-in-sheet.pdf", "badges.pdf"])
def test_only_organisers(app, client, event_today, make_fellow, login, path):
    event_id = event_today()
    (amelia,) = seat(app, event_id, "Amelia Hart")
    fellow = login(make_fellow())
    assert fellow.get(f"/organiser/events/{event_id}/{path}").status_code == 403
    anonymous = client.get(f"/organiser/events/{event_id}/{path}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    booking_id = booking_of(app, event_id, amelia).id
    assert tap(fellow, booking_id, "attended").status_code == 403
    assert "/login" in tap(client, booking_id, "attended").headers["Location"]
    assert booking_of(app, event_id, amelia).attendance is None
