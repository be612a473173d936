"""`make bench` cannot rot silently: its generator makes the size asked for, with data that keeps the app's
booking rules, and every page it measures answers, with the same number of SQL statements at two sizes."""

from __future__ import annotations

from sqlalchemy import func, select

from bench import feeds, inprocess
from bench.pages import pages
from bench.scale import scale_up, wanted
from events.models import Booking, Event
from extensions import db
from fellows.models import User
from programmes.models import Expert, Meeting, VisitProgramme
from writeups.models import Note, NoteRevision


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_generator_makes_the_size_asked_for_and_every_measured_page_keeps_its_sql_count(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    # As in the bench's own app (bench.inprocess.make_app): nothing kept between requests, every page built.
    app.testing = False
    with app.app_context():
        before = {model: _count(model) for model in (User, Expert, Event, Booking, Note, VisitProgramme)}
        small = scale_up(1 / 64)
        _assert_the_size_and_the_booking_rule(small, before)
    small_counts = inprocess.count_queries(app, inprocess.clients(app, small), pages(small))
    with app.app_context():
        larger = scale_up(3 / 64)  # on top: four times the data, and a second big event, visit, …
    larger_counts = inprocess.count_queries(app, inprocess.clients(app, larger), pages(larger))

    assert {key: count.status for key, count in small_counts.items()} == dict.fromkeys(small_counts, 200)
    assert {key: count.status for key, count in larger_counts.items()} == dict.fromkeys(larger_counts, 200)
    assert {key: count.queries for key, count in larger_counts.items()} == {
        key: count.queries for key, count in small_counts.items()
    }
    assert all(count.queries > 0 for count in small_counts.values()), small_counts  # each page was built
    # The profile rows of the document: five costs for each signed-in page, none for the anonymous ones.
    profiles = inprocess.profile_top(app, inprocess.clients(app, larger), pages(larger), runs=1)
    assert set(profiles) == {page.key for page in pages(larger) if page.signed_in}
    assert all(len(costs) == 5 and costs[0].ms >= costs[-1].ms > 0 for costs in profiles.values()), profiles


def _assert_the_size_and_the_booking_rule(scaled, before: dict) -> None:
    want = wanted(1 / 64)
    added = {model: _count(model) - count for model, count in before.items()}

    assert added[User] == scaled.fellows == want["fellows"] == 78
    assert added[Expert] == scaled.experts == want["experts"]
    assert added[Event] == scaled.events == want["events"]
    assert added[Booking] == scaled.bookings == want["bookings"]
    assert added[Note] == scaled.notes == want["notes"]
    assert added[VisitProgramme] == scaled.visits == want["visits"]
    assert _count(NoteRevision) >= scaled.notes
    assert _count(Meeting) > 0
    # The worst cases the pages are measured on: the big event's long list and the heavy fellow's bookings.
    assert _count(Booking, Booking.event_id == scaled.big_event_id) == scaled.big_event_bookings > 50
    heavy = db.session.scalar(select(User.id).where(User.email == scaled.fellow_email))
    assert _count(Booking, Booking.user_id == heavy) >= scaled.heavy_fellow_bookings > 0
    # Waitlists exist, and nobody waits while the event has a free place (the app's booking rule).
    assert scaled.waitlisted > 0
    confirmed = (
        select(Booking.event_id, func.count().label("n"))
        .where(Booking.state == "confirmed")
        .group_by(Booking.event_id)
        .subquery()
    )
    overfull = _count(
        Event, Event.id == confirmed.c.event_id, Event.capacity.is_not(None), confirmed.c.n > Event.capacity
    )
    assert overfull == 0
    waiting = select(Booking.event_id).where(Booking.state == "waitlisted").distinct().subquery()
    waiting_with_room = _count(
        Event,
        Event.id == waiting.c.event_id,
        (Event.capacity.is_(None))
        | (
            Event.capacity
            > select(func.count()).where(Booking.event_id == Event.id, Booking.state == "confirmed").scalar_subquery()
        ),
    )
    assert waiting_with_room == 0


def test_the_feed_measurement_times_a_cold_build_by_parts_through_the_apps_own_feed_code(app, runner):
    """Section 4 of docs/BENCHMARKS.md sets each feed against icalendar alone and explains a cold build by its
    parts: every part is measured, the floor holds the events the feed serves, and the edits made for the
    "one event changed" column are undone."""
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        scaled = scale_up(1 / 64)

        titles = dict(db.session.execute(select(Event.id, Event.title)).all())

    organiser_feed = f"/calendar/{scaled.organiser_feed_token}.ics"
    public = feeds.measure(app, "public feed", "/calendar.ics", runs=3)  # an odd number of edits
    organiser = feeds.measure(app, "organiser feed", organiser_feed, scaled.organiser_email, runs=2)
    for feed in (public, organiser):
        assert set(feed.parts) == {"fingerprint", "load", "describe", "serialise"}
        assert all(value > 0 for value in feed.parts.values())
        assert feed.one_changed_ms > 0
    # Editing one event back and forth for the "one event changed" column leaves the data as it was.
    with app.app_context():
        assert dict(db.session.execute(select(Event.id, Event.title)).all()) == titles
    # The floor serialises the same events the feed serves.
    for path, measured in (("/calendar.ics", public), (organiser_feed, organiser)):
        body = app.test_client().get(path).get_data(as_text=True)
        assert body.count("BEGIN:VEVENT") == measured.events > 0
