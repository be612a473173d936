"""The /events list: upcoming and past, filters, search, pagination, and a constant number of queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from extensions import db
from tests.events_helpers import text_of


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _many_events(app, number: int, viewer_id: int | None = None) -> None:
    """``number`` public events, each with a host, two topics, two speakers and some bookings."""
    from core.models import Tag
    from events.models import Booking, Event, EventInvitation, Speaker
    from fellows.models import Organisation, User

    with app.app_context():
        topics = [Tag(name="AI policy", slug="ai-policy"), Tag(name="Health policy", slug="health-policy")]
        hosts = [Organisation(name=f"Host {i}", kind="government") for i in range(3)]
        people = [User(email=f"booker{i}@example.org", name=f"Booker {i}", role="fellow") for i in range(3)]
        db.session.add_all(topics + hosts + people)
        db.session.flush()
        start = _now() + timedelta(days=1)
        for i in range(number):
            event = Event(
                title=f"Event {i:03d}",
                kind="lunch",
                state="published",
                audience="public",
                capacity=2,
                starts_at=start + timedelta(hours=i),
                ends_at=start + timedelta(hours=i + 1),
                host=hosts[i % 3],
                topics=topics,
            )
            event.speakers = [
                Speaker(name=f"Speaker {i}", position=0, organisation=hosts[0]),
                Speaker(name=f"Second {i}", position=1),
            ]
            db.session.add(event)
            db.session.flush()
            for j, person in enumerate(people):
                db.session.add(
                    Booking(event_id=event.id, user_id=person.id, state="confirmed" if j < 2 else "waitlisted")
                )
            if viewer_id:
                db.session.add(Booking(event_id=event.id, user_id=viewer_id, state="waitlisted"))
                db.session.add(EventInvitation(event_id=event.id, user_id=viewer_id))
        db.session.commit()


@pytest.mark.parametrize("role", ["anonymous", "fellow"])
def test_the_list_uses_the_same_number_of_queries_for_5_events_as_for_200(app, make_fellow, login, count_queries, role):
    fellow = make_fellow()
    client = login(fellow) if role == "fellow" else app.test_client()
    viewer_id = fellow.id if role == "fellow" else None

    _many_events(app, 5, viewer_id)
    with count_queries() as few:
        small = client.get("/events")
    _many_events_more(app, 195, viewer_id)
    with count_queries() as many:
        large = client.get("/events")

    assert small.status_code == large.status_code == 200
    assert "5 events found" in text_of(small) and "200 events found" in text_of(large)
    assert text_of(large).count("Full · ") == app.config["PAGE_SIZE"]
    assert few.count == many.count, "\n".join(many.statements)
    assert many.count <= 10


def _many_events_more(app, number, viewer_id):
    """More events on top of the first batch (new hosts and topics would clash, so reuse them)."""
    from core.models import Tag
    from events.models import Booking, Event, EventInvitation, Speaker
    from fellows.models import Organisation, User

    with app.app_context():
        topics = db.session.scalars(db.select(Tag)).all()
        hosts = db.session.scalars(db.select(Organisation)).all()
        people = db.session.scalars(db.select(User).where(User.email.like("booker%"))).all()
        start = _now() + timedelta(days=30)
        for i in range(number):
            event = Event(
                title=f"Later {i:03d}",
                kind="seminar",
                state="published",
                audience="public",
                capacity=2,
                starts_at=start + timedelta(hours=i),
                ends_at=start + timedelta(hours=i + 1),
                host=hosts[i % len(hosts)],
                topics=topics,
                speakers=[Speaker(name=f"Later speaker {i}", position=0, organisation=hosts[0])],
            )
            db.session.add(event)
            db.session.flush()
            db.session.add_all(
                [
                    Booking(event_id=event.id, user_id=p.id, state="confirmed" if j < 2 else "waitlisted")
                    for j, p in enumerate(people)
                ]
            )
            if viewer_id:
                db.session.add(EventInvitation(event_id=event.id, user_id=viewer_id))
        db.session.commit()


def test_upcoming_by_default_and_past_on_request(make_event, client):
    t = _now()
    make_event(title="Next week's lunch", audience="public")
    make_event(
        title="Happening now", audience="public", starts_at=t - timedelta(minutes=30), ends_at=t + timedelta(minutes=30)
    )
    make_event(
        title="Last month's lunch",
        audience="public",
        starts_at=t - timedelta(days=30),
        ends_at=t - timedelta(days=30, hours=-2),
    )

    upcoming = text_of(client.get("/events"))
    past = text_of(client.get("/events?when=past"))

    assert "Next week's lunch" in upcoming and "Happening now" in upcoming and "Last month's lunch" not in upcoming
    assert "Last month's lunch" in past and "Next week's lunch" not in past
    assert upcoming.index("Happening now") < upcoming.index("Next week's lunch")  # soonest first


def test_filters_by_kind_and_topic_and_searches_text(app, make_event, make_organisation, client):
    from events.models import Speaker

    host = make_organisation("Cambridge Judge Business School")
    lunch = make_event(title="Digital lunch", kind="lunch", audience="public", topics=("Digital government",))
    make_event(
        title="Energy seminar", kind="seminar", audience="public", topics=("Energy and climate",), host_id=host.id
    )
    with app.app_context():
        db.session.add(Speaker(event_id=lunch, name="Mark Thompson", position=0))
        db.session.commit()

    def titles(query):
        page = text_of(client.get(f"/events?{query}"))
        return {t for t in ("Digital lunch", "Energy seminar") if t in page}

    assert titles("kind=seminar") == {"Energy seminar"}
    assert titles("topic=digital-government") == {"Digital lunch"}
    assert titles("q=thompson") == {"Digital lunch"}  # a speaker's name
    assert titles("q=judge") == {"Energy seminar"}  # the host's name
    assert titles("q=ENERGY") == {"Energy seminar"}
    assert titles(f"host={host.id}") == {"Energy seminar"}
    assert titles("kind=lunch&topic=energy-and-climate") == set()
    assert "No events match your search" in text_of(client.get("/events?q=nothing-like-this"))
    assert client.get("/events?kind=<script>&topic=%00&q=a%00b&host=x&page=abc").status_code == 200


def test_the_list_is_paginated(app, make_event, client):
    app.config["PAGE_SIZE"] = 2
    start = _now() + timedelta(days=1)
    for i in range(5):
        make_event(title=f"Lunch number {i}", audience="public", starts_at=start + timedelta(days=i))

    first = text_of(client.get("/events"))
    third = text_of(client.get("/events?page=3"))

    assert "Lunch number 0" in first and "Lunch number 2" not in first and "Page 1 of 3" in first
    assert "Lunch number 4" in third and "Lunch number 0" not in third


def test_the_home_page_shows_upcoming_events_and_a_fellows_next_bookings(app, make_event, make_fellow, login, client):
    event_id = make_event(title="Lunch on the home page", audience="public", capacity=4)
    make_event(title="Hidden draft", state="draft", audience="public")
    fellow = make_fellow()
    fellow_client = login(fellow)
    fellow_client.post(f"/events/{event_id}/book")

    anonymous = text_of(client.get("/"))
    home = text_of(fellow_client.get("/"))

    assert "Lunch on the home page" in anonymous and "3 places left" in anonymous and "Hidden draft" not in anonymous
    assert "Your next bookings" in home and "Lunch on the home page" in home.partition("Your next bookings")[2]
