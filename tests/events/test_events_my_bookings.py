"""A fellow's "My bookings": every upcoming booking on the first page, past ones paged latest first,
and the same handful of SQL queries however many bookings a fellow has."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from events.models import Booking
from extensions import db
from tests.events_helpers import text_of


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def seed(app, make_event, make_fellow):
    """seed(fellow, upcoming=n, past=m): n upcoming bookings (every third on a waitlist behind two
    others) and m past ones ("Past lunch 00" the latest); numbering goes on across calls."""
    made = {"upcoming": 0, "past": 0}
    ahead = [make_fellow(), make_fellow()]

    def add(fellow, *, upcoming: int = 0, past: int = 0) -> None:
        t = now()
        with app.app_context():
            for n in range(made["upcoming"], made["upcoming"] + upcoming):
                event_id = make_event(title=f"Upcoming lunch {n:02}", starts_at=t + timedelta(days=1 + n), capacity=1)
                if n % 3 == 2:
                    for i, other in enumerate(ahead):
                        db.session.add(
                            Booking(
                                event_id=event_id,
                                user_id=other.id,
                                state="waitlisted",
                                requested_at=t - timedelta(days=9 - i),
                            )
                        )
                    db.session.add(Booking(event_id=event_id, user_id=fellow.id, state="waitlisted", requested_at=t))
                else:
                    db.session.add(Booking(event_id=event_id, user_id=fellow.id, state="confirmed"))
            for n in range(made["past"], made["past"] + past):
                starts = t - timedelta(days=10 + n)
                event_id = make_event(title=f"Past lunch {n:02}", starts_at=starts, ends_at=starts + timedelta(hours=2))
                db.session.add(Booking(event_id=event_id, user_id=fellow.id, state="confirmed", attendance="attended"))
            db.session.commit()
        made["upcoming"] += upcoming
        made["past"] += past

    return add


def rel_link(html: str, rel: str) -> str:
    """The href of the pagination link with this rel ("next" or "prev"), unescaped."""
    match = re.search(rf'<a rel="{rel}" href="([^"]+)"', html)
    assert match, f"no rel={rel} link"
    return match.group(1).replace("&amp;", "&")


def test_my_bookings_costs_the_same_queries_for_few_and_many_bookings(app, make_fellow, login, seed, count_queries):
    fellow = make_fellow()
    client = login(fellow)

    def queries() -> tuple[int, str]:
        with count_queries() as counter:
            response = client.get("/my/bookings")
        assert response.status_code == 200
        return counter.count, text_of(response)

    seed(fellow, upcoming=3, past=3)
    few, _ = queries()
    seed(fellow, upcoming=27, past=27)
    many, page = queries()
    assert few == many
    # Every upcoming booking is there, with its own position on its waitlist (two people ahead).
    assert "Upcoming lunch 00 Confirmed" in page and "Upcoming lunch 29 Waitlist · position 3" in page
    assert page.count("Waitlist · position 3") == 10


def test_past_bookings_are_paged_latest_first_and_the_links_work(app, make_fellow, login, seed):
    app.config["PAGE_SIZE"] = 5
    fellow = make_fellow()
    seed(fellow, upcoming=2, past=12)
    client = login(fellow)

    first = client.get("/my/bookings").get_data(as_text=True)
    upcoming, _, past = text_of(client.get("/my/bookings")).partition("Past (12)")
    assert "Upcoming lunch 00" in upcoming and "Upcoming lunch 01" in upcoming
    assert [f"Past lunch {n:02}" in past for n in range(7)] == [True] * 5 + [False] * 2
    assert "Page 1 of 3" in past and 'rel="prev"' not in first

    second_url = rel_link(first, "next")
    assert second_url == "/my/bookings?page=2#past"
    second = client.get(second_url).get_data(as_text=True)
    shown = text_of(client.get(second_url))
    assert "Page 2 of 3" in shown and "Past lunch 05" in shown and "Past lunch 09" in shown
    assert "Past lunch 04" not in shown and "Past lunch 10" not in shown
    # Later pages are for looking back: no upcoming list, but a way back to it.
    assert "Upcoming lunch" not in shown and 'href="/my/bookings">← Upcoming bookings' in second
    assert rel_link(second, "prev") == "/my/bookings?page=1#past"

    last = text_of(client.get(rel_link(second, "next")))
    assert "Page 3 of 3" in last and "Past lunch 10" in last and "Past lunch 11" in last and "Next" not in last


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5", "²", str(10**20), "", "%00"])
def test_a_garbage_page_number_shows_the_first_page(make_fellow, login, seed, page):
    fellow = make_fellow()
    seed(fellow, upcoming=1, past=2)
    response = login(fellow).get(f"/my/bookings?page={page}")
    assert response.status_code == 200
    assert "Upcoming lunch 00" in text_of(response) and "Past lunch 00" in text_of(response)


def test_a_page_past_the_end_shows_the_last_page(app, make_fellow, login, seed):
    app.config["PAGE_SIZE"] = 5
    fellow = make_fellow()
    seed(fellow, upcoming=1, past=7)
    page = text_of(login(fellow).get("/my/bookings?page=999"))
    assert "Page 2 of 2" in page and "Past lunch 06" in page and "Past lunch 04" not in page


def test_no_bookings_at_all(make_fellow, login):
    page = text_of(login(make_fellow()).get("/my/bookings?page=3"))
    assert "You have no upcoming bookings" in page and "No past bookings yet" in page and "Page " not in page


def test_waitlist_positions_for_a_list_agree_with_each_booking(app, make_event, make_fellow):
    """The one-query positions follow the queue order of Booking.waitlist_position, ties included."""
    from events.bookings.lists import waitlist_positions

    t = now()
    event_id = make_event(capacity=0)
    other_event = make_event(capacity=0)
    fellows = [make_fellow() for _ in range(5)]
    gone = make_fellow()
    with app.app_context():
        times = [t - timedelta(hours=3), t - timedelta(hours=1), t - timedelta(hours=1), t, t]
        for fellow, requested in zip(fellows, times, strict=True):
            db.session.add(Booking(event_id=event_id, user_id=fellow.id, state="waitlisted", requested_at=requested))
        db.session.add(
            Booking(event_id=event_id, user_id=gone.id, state="cancelled", requested_at=t - timedelta(hours=5))
        )
        db.session.add(Booking(event_id=other_event, user_id=fellows[4].id, state="waitlisted", requested_at=t))
        db.session.commit()
        every = db.session.scalars(db.select(Booking)).all()
        positions = waitlist_positions(every)
        assert positions == {b.id: b.waitlist_position for b in every if b.state == "waitlisted"}
        queue = sorted(positions[b.id] for b in every if b.event_id == event_id and b.state == "waitlisted")
        assert queue == [1, 2, 3, 4, 5]
        assert waitlist_positions([]) == {}
