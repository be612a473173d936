"""Times are typed and shown in London time and stored as UTC, on both sides of the clock changes."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from extensions import db
from tests.events_helpers import event_form, get_event, text_of


def _created_event_id(app) -> int:
    from events.models import Event

    with app.app_context():
        return db.session.scalar(select(Event.id).order_by(Event.id.desc()))


@pytest.mark.parametrize(
    "day, stored, offset",
    [
        ("2030-10-15", datetime(2030, 10, 15, 11, 30, tzinfo=UTC), "+01:00"),  # British Summer Time
        ("2031-01-15", datetime(2031, 1, 15, 12, 30, tzinfo=UTC), "+00:00"),  # Greenwich Mean Time
    ],
)
def test_a_lunch_at_half_past_twelve_london_time_is_stored_in_utc_and_shown_as_12_30(
    app, make_organiser, make_fellow, login, outbox, day, stored, offset
):
    organiser = login(make_organiser())
    response = organiser.post(
        "/organiser/events/new",
        data=event_form(
            starts_at=f"{day}T12:30", ends_at=f"{day}T14:00", registration_closes_at=f"{day}T09:00", audience="public"
        ),
    )
    assert response.status_code == 302
    event_id = _created_event_id(app)
    organiser.post(f"/organiser/events/{event_id}/publish")

    event = get_event(app, event_id)
    assert event.starts_at == stored
    assert event.registration_closes_at == stored.replace(hour=stored.hour - 3, minute=0)
    page = app.test_client().get(f"/events/{event_id}")
    assert "12:30–14:00" in text_of(page)
    ld = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', page.get_data(as_text=True), re.S).group(1)
    )
    assert ld["startDate"] == f"{day}T12:30:00{offset}"
    assert "12:30–14:00" in text_of(app.test_client().get("/events"))
    edit_form = organiser.get(f"/organiser/events/{event_id}/edit").get_data(as_text=True)
    assert f'value="{day}T12:30"' in edit_form and f'value="{day}T09:00"' in edit_form
    login(make_fellow()).post(f"/events/{event_id}/book")
    [email] = outbox(kind="booking_confirmed")
    assert "12:30–14:00" in email.text_body and "Europe/London time" in email.text_body


def test_the_repeated_autumn_hour_is_read_as_summer_time(app, make_organiser, login):
    # On 27 October 2030 the clocks go back at 02:00 BST: 01:30 happens twice; calendars take the first.
    login(make_organiser()).post(
        "/organiser/events/new", data=event_form(starts_at="2030-10-27T01:30", ends_at="2030-10-27T03:00")
    )
    event = get_event(app, _created_event_id(app))
    assert event.starts_at == datetime(2030, 10, 27, 0, 30, tzinfo=UTC)
    assert event.ends_at == datetime(2030, 10, 27, 3, 0, tzinfo=UTC)


def test_an_event_across_the_spring_change_keeps_its_wall_clock_times(app, make_organiser, login):
    # 30 March 2031: clocks go forward at 01:00 GMT, so a 00:30–03:30 event lasts two hours.
    client = login(make_organiser())
    client.post(
        "/organiser/events/new",
        data=event_form(starts_at="2031-03-30T00:30", ends_at="2031-03-30T03:30", audience="public"),
    )
    event_id = _created_event_id(app)
    event = get_event(app, event_id)
    assert event.ends_at - event.starts_at == datetime(2031, 1, 1, 2) - datetime(2031, 1, 1, 0)
    assert "00:30–03:30" in text_of(client.get(f"/events/{event_id}"))


def test_the_seed_event_from_2016_is_at_12_30_london_time(app, runner):
    from events.demo import SEED_TITLE
    from events.models import Event

    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        seed = db.session.scalar(select(Event).where(Event.title == SEED_TITLE))
        assert seed.starts_at == datetime(2016, 10, 12, 11, 30, tzinfo=UTC)
        assert seed.ends_at == datetime(2016, 10, 12, 13, 0, tzinfo=UTC)
