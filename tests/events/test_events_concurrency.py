"""Real concurrent requests, each on its own connection: the last places are never given twice.

Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL (as CI does).
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from extensions import db
from tests.concurrency import at_the_same_moment
from tests.events_helpers import booking_of, bookings, get_event, waitlist


def _booking_rows(app, event_id):
    from events.models import Booking

    with app.app_context():
        rows = db.session.scalars(select(Booking).where(Booking.event_id == event_id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


@pytest.mark.parametrize("people, places", [(8, 3), (6, 1)])
def test_simultaneous_bookings_confirm_exactly_the_places_there_are(
    app, make_fellow, make_event, login, outbox, people, places
):
    event_id = make_event(capacity=places)
    fellows = [make_fellow() for _ in range(people)]
    clients = [login(fellow) for fellow in fellows]

    statuses = at_the_same_moment([lambda c=c: c.post(f"/events/{event_id}/book") for c in clients])

    assert statuses == [302] * people
    rows = _booking_rows(app, event_id)
    assert len(rows) == people and len({row.user_id for row in rows}) == people  # no duplicates, nobody lost
    states = Counter(row.state for row in rows)
    assert states == {"confirmed": places, "waitlisted": people - places}
    queue = waitlist(app, event_id)
    assert [position for position, _ in queue] == list(range(1, people - places + 1))
    # Arrival order: every confirmed place was taken before anyone joined the waitlist.
    confirmed = [row for row in rows if row.state == "confirmed"]
    waiting = [row for row in rows if row.state == "waitlisted"]
    assert max(row.requested_at for row in confirmed) <= min(row.requested_at for row in waiting)
    # Each booking went through the event's lock, and each person got exactly one email.
    assert get_event(app, event_id).booking_version == people
    assert len(outbox(kind="booking_confirmed")) == places
    assert len(outbox(kind="booking_waitlisted")) == people - places


def test_simultaneous_cancellations_and_bookings_never_give_a_place_twice(app, make_fellow, make_event, login, outbox):
    event_id = make_event(capacity=3)
    holders = [make_fellow() for _ in range(3)]
    queued = [make_fellow() for _ in range(4)]
    newcomers = [make_fellow() for _ in range(3)]
    holder_clients = [login(f) for f in holders]
    for client in holder_clients + [login(f) for f in queued]:
        assert client.post(f"/events/{event_id}/book").status_code == 302
    holder_bookings = [booking_of(app, event_id, f.id).id for f in holders]
    newcomer_clients = [login(f) for f in newcomers]

    requests = [
        lambda c=c, b=b: c.post(f"/bookings/{b}/cancel") for c, b in zip(holder_clients, holder_bookings, strict=True)
    ]
    requests += [lambda c=c: c.post(f"/events/{event_id}/book") for c in newcomer_clients]
    statuses = at_the_same_moment(requests)

    assert statuses == [302] * len(requests)
    states = bookings(app, event_id)
    assert Counter(states.values()) == {"cancelled": 3, "confirmed": 3, "waitlisted": 4}
    # The three places went to the first three in the queue, whoever booked meanwhile.
    assert {user_id for user_id, state in states.items() if state == "confirmed"} == {f.id for f in queued[:3]}
    queue = waitlist(app, event_id)
    assert [position for position, _ in queue] == [1, 2, 3, 4]
    assert queue[0][1] == queued[3].id
    assert {user_id for _, user_id in queue[1:]} == {f.id for f in newcomers}
    promoted = outbox(kind="booking_promoted")
    assert sorted(m.user_id for m in promoted) == sorted(f.id for f in queued[:3])


def test_simultaneous_cancellations_with_a_short_waitlist_leave_the_right_places_free(
    app, make_fellow, make_event, login, outbox
):
    event_id = make_event(capacity=4)
    holders = [make_fellow() for _ in range(4)]
    queued = [make_fellow() for _ in range(2)]
    clients = [login(f) for f in holders]
    for client in clients + [login(f) for f in queued]:
        client.post(f"/events/{event_id}/book")
    ids = [booking_of(app, event_id, f.id).id for f in holders]

    statuses = at_the_same_moment(
        [lambda c=c, b=b: c.post(f"/bookings/{b}/cancel") for c, b in zip(clients, ids, strict=True)]
    )

    assert statuses == [302] * 4
    states = bookings(app, event_id)
    assert [states[f.id] for f in queued] == ["confirmed", "confirmed"]
    assert Counter(states.values()) == {"cancelled": 4, "confirmed": 2}
    assert len(outbox(kind="booking_promoted")) == 2
