"""The issue's "Done when" walk-through, and the demo data it ends with."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import func, select

from extensions import db
from tests.events_helpers import event_form, text_of


def test_done_when_an_organiser_runs_a_lunch_from_creation_to_export(
    app, make_organiser, make_fellow, login, outbox, runner
):
    from events.models import Event

    # An organiser creates and publishes a lunch with 3 places.
    organiser = login(make_organiser())
    created = organiser.post(
        "/organiser/events/new",
        data=event_form(
            title="Lunch: the future of the civil service",
            capacity="3",
            starts_at="2030-11-20T12:30",
            ends_at="2030-11-20T14:00",
        ),
    )
    event_url = created.headers["Location"]
    event_id = int(event_url.rsplit("/", 1)[1])
    assert "Publish" in text_of(organiser.get(event_url))
    organiser.post(f"/organiser/events/{event_id}/publish")

    # Four fellows book.
    fellows = [make_fellow(name=name) for name in ("Ada Byron", "Ben Okafor", "Chloe Lind", "Dev Patel")]
    clients = [login(fellow) for fellow in fellows]
    diets = ["Vegetarian", "vegetarian", "Gluten-free", "Vegan"]
    for client, diet in zip(clients, diets, strict=True):
        assert "Book a place" in text_of(client.get(event_url)) or "Join the waitlist" in text_of(client.get(event_url))
        client.post(f"/events/{event_id}/book", data={"dietary_requirements": diet})

    # The fourth is waitlisted at position 1.
    fourth_page = text_of(clients[3].get(event_url))
    assert "You are number 1 on the waitlist" in fourth_page
    assert "3 in total · 0 left · 1 on the waitlist" in fourth_page
    assert "number 1 on the waitlist" in outbox(kind="booking_waitlisted")[0].subject

    # One confirmed fellow cancels and the fourth is promoted.
    cancel_form = clients[1].get(event_url).get_data(as_text=True)
    cancel_action = re.search(r'action="(/bookings/\d+/cancel)"', cancel_form).group(1)
    clients[1].post(cancel_action)
    assert "You have a confirmed place" in text_of(clients[3].get(event_url))
    [promoted] = outbox(kind="booking_promoted")
    assert promoted.user_id == fellows[3].id

    # The organiser exports the attendee list and sees the dietary summary.
    attendees = text_of(organiser.get(f"/organiser/events/{event_id}/attendees"))
    assert "3 confirmed of 3 places" in attendees
    assert "Requirement People Gluten-free 1 Vegan 1 Vegetarian 1" in attendees
    export = organiser.get(f"/organiser/events/{event_id}/attendees.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(export.lstrip("\ufeff"))))
    assert {(r[0], r[2], r[6]) for r in rows[1:]} == {
        ("confirmed", "Ada Byron", "Vegetarian"),
        ("confirmed", "Chloe Lind", "Gluten-free"),
        ("confirmed", "Dev Patel", "Vegan"),
        ("cancelled", "Ben Okafor", "vegetarian"),
    }
    catering = organiser.get(f"/organiser/events/{event_id}/catering.csv").get_data(as_text=True)
    assert "Dietary requirement,Vegetarian,1" in catering and "Confirmed places,,3" in catering

    # The seed event appears under past events with its speaker and host.
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    for viewer in (app.test_client(), clients[0]):
        past = text_of(viewer.get("/events?when=past"))
        seed = past.partition("Public Service Transformation: What's Next?")[2]
        assert "Hosted by Policy Lab, Cabinet Office" in seed
        assert "With Dr Mark Thompson (Cambridge Judge Business School)" in seed
        assert "Wed 12 Oct 2016, 12:30–14:00" in past
    with app.app_context():
        seed_id = db.session.scalar(select(Event.id).where(Event.title.like("Public Service Transformation%")))
    response = app.test_client().get(f"/events/{seed_id}")
    page = text_of(response)
    speaker_line = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.get_data(as_text=True)))
    assert "Dr Mark Thompson, Senior Lecturer in Information Systems · Cambridge Judge Business School" in speaker_line
    assert "Hosted by Policy Lab, Cabinet Office" in page
    assert "Digital government" in page and "6 people booked of 20 places" in page


def test_demo_data_has_every_kind_of_event_and_loading_twice_changes_nothing(app, runner):
    from events.demo import SEED_TITLE
    from events.models import EVENT_KINDS, Booking, Event, EventInvitation

    assert runner.invoke(args=["demo"]).exit_code == 0

    def snapshot():
        with app.app_context():
            return (
                db.session.scalar(select(func.count(Event.id))),
                db.session.scalar(select(func.count(Booking.id))),
                db.session.scalar(select(func.count(EventInvitation.id))),
            )

    first = snapshot()
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert snapshot() == first

    with app.app_context():
        events = db.session.scalars(select(Event)).all()
        upcoming = [e for e in events if not e.is_past]
        seed = next(e for e in events if e.title == SEED_TITLE)
        assert {e.kind for e in upcoming if e.state == "published"} == set(EVENT_KINDS)
        assert any(e.state == "draft" for e in upcoming)
        assert any(e.state == "cancelled" and e.cancellation_reason for e in upcoming)
        assert any(e.audience == "invitation" and e.invitations for e in upcoming)
        assert any(e.capacity is not None and e.confirmed_count == e.capacity and e.waitlist_length for e in upcoming)
        assert seed.host.name == "Policy Lab, Cabinet Office"
        assert [(s.display_name, s.organisation.name) for s in seed.speakers] == [
            ("Dr Mark Thompson", "Cambridge Judge Business School")
        ]
        assert [t.name for t in seed.topics] == ["Digital government"]
        attended = [b for b in seed.bookings if b.state == "confirmed" and b.attendance == "attended"]
        assert {b.user.sector for b in attended} == {"government", "industry"}
