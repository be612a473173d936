"""Every booking transition: book, waitlist, cancel, promote, rebook — and every refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from events.models import Booking
from extensions import db
from tests.conftest import link_in
from tests.events_helpers import booking_of, bookings, text_of, waitlist


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def test_booking_a_free_place_confirms_it_and_emails_the_fellow(app, make_fellow, make_event, login, outbox):
    event_id = make_event(title="Lunch with the Chief Scientist", capacity=3)
    fellow = make_fellow(name="Ada Lovelace")
    client = login(fellow)

    response = client.post(
        f"/events/{event_id}/book",
        data={
            "dietary_requirements": "Vegetarian",
            "access_needs": "Step-free access",
            "comment": "Looking forward to it",
        },
    )

    assert response.status_code == 302
    booking = booking_of(app, event_id, fellow.id)
    assert booking.state == "confirmed"
    assert booking.confirmed_at is not None
    assert (booking.dietary_requirements, booking.access_needs, booking.comment) == (
        "Vegetarian",
        "Step-free access",
        "Looking forward to it",
    )
    page = text_of(client.get(response.headers["Location"]))
    assert "Your place is confirmed" in page
    assert "Cancel my booking" in page
    assert "2 left" in page
    [message] = outbox(kind="booking_confirmed")
    assert message.to_address == fellow.email and message.user_id == fellow.id
    assert "Lunch with the Chief Scientist" in message.subject
    assert link_in(message, "/events/") == f"/events/{event_id}"
    assert f"http://localhost/events/{event_id}" in message.html_body
    assert "Vegetarian" in message.text_body


def test_unlimited_capacity_always_confirms(app, make_fellow, make_event, login):
    event_id = make_event(capacity=None)
    fellows = [make_fellow() for _ in range(4)]
    for fellow in fellows:
        assert login(fellow).post(f"/events/{event_id}/book").status_code == 302
    assert set(bookings(app, event_id).values()) == {"confirmed"}


def test_a_full_event_puts_fellows_on_the_waitlist_in_order(app, make_fellow, make_event, login, outbox):
    event_id = make_event(capacity=1)
    first, second, third = make_fellow(), make_fellow(), make_fellow()
    login(first).post(f"/events/{event_id}/book")
    second_client = login(second)
    response = second_client.post(f"/events/{event_id}/book", follow_redirects=True)
    login(third).post(f"/events/{event_id}/book")

    assert "you are on the waitlist at position 1" in text_of(response)
    assert bookings(app, event_id) == {first.id: "confirmed", second.id: "waitlisted", third.id: "waitlisted"}
    assert waitlist(app, event_id) == [(1, second.id), (2, third.id)]
    page = text_of(second_client.get(f"/events/{event_id}"))
    assert "You are number 1 on the waitlist" in page
    assert "Leave the waitlist" in page
    messages = outbox(kind="booking_waitlisted")
    assert [m.to_address for m in messages] == [second.email, third.email]
    assert "number 2 on the waitlist" in messages[1].subject
    assert "you are number 2" in messages[1].text_body


def test_cancelling_a_confirmed_place_promotes_the_first_on_the_waitlist(app, make_fellow, make_event, login, outbox):
    event_id = make_event(capacity=1, title="Data lunch")
    holder, first_waiting, second_waiting = make_fellow(), make_fellow(), make_fellow()
    holder_client = login(holder)
    holder_client.post(f"/events/{event_id}/book")
    login(first_waiting).post(f"/events/{event_id}/book")
    login(second_waiting).post(f"/events/{event_id}/book")
    holder_booking = booking_of(app, event_id, holder.id)

    response = holder_client.post(f"/bookings/{holder_booking.id}/cancel")

    assert response.status_code == 302
    assert bookings(app, event_id) == {
        holder.id: "cancelled",
        first_waiting.id: "confirmed",
        second_waiting.id: "waitlisted",
    }
    assert waitlist(app, event_id) == [(1, second_waiting.id)]
    assert booking_of(app, event_id, holder.id).cancelled_at is not None
    [cancelled] = outbox(kind="booking_cancelled")
    assert cancelled.to_address == holder.email and "You have cancelled" in cancelled.text_body
    [promoted] = outbox(kind="booking_promoted")
    assert promoted.to_address == first_waiting.email
    assert "Data lunch" in promoted.subject and "Your place is now confirmed" in promoted.text_body


def test_leaving_the_waitlist_moves_the_others_up_without_promoting(app, make_fellow, make_event, login, outbox):
    event_id = make_event(capacity=1)
    holder, first_waiting, second_waiting = make_fellow(), make_fellow(), make_fellow()
    for fellow in (holder, first_waiting, second_waiting):
        login(fellow).post(f"/events/{event_id}/book")
    booking = booking_of(app, event_id, first_waiting.id)

    response = login(first_waiting).post(f"/bookings/{booking.id}/cancel", follow_redirects=True)

    assert "You have left the waitlist" in text_of(response)
    assert bookings(app, event_id) == {
        holder.id: "confirmed",
        first_waiting.id: "cancelled",
        second_waiting.id: "waitlisted",
    }
    assert waitlist(app, event_id) == [(1, second_waiting.id)]
    assert outbox(kind="booking_promoted") == []
    assert "on the waitlist" in outbox(kind="booking_cancelled")[0].text_body


def test_the_page_after_cancelling_says_what_was_given_up_when_a_promotion_came_first(
    app, make_fellow, make_event, login, outbox, monkeypatch
):
    """A fellow leaving the waitlist waits for the event's lock; if the holder's cancellation promotes
    them meanwhile, they give up a confirmed place, and the page must say so, as the email does."""
    from events.bookings import services
    from fellows.models import User

    event_id = make_event(capacity=1)
    holder, waiting = make_fellow(), make_fellow()
    for fellow in (holder, waiting):
        login(fellow).post(f"/events/{event_id}/book")
    held, queued = booking_of(app, event_id, holder.id), booking_of(app, event_id, waiting.id)
    lock = services.lock_event

    def holder_cancels_first(event):
        # The other request, which took the lock first: the holder cancels and the fellow waiting is promoted.
        monkeypatch.setattr(services, "lock_event", lock)
        services.cancel_booking(db.session.get(User, holder.id), db.session.get(Booking, held.id))
        lock(event)

    monkeypatch.setattr(services, "lock_event", holder_cancels_first)
    response = login(waiting).post(f"/bookings/{queued.id}/cancel", follow_redirects=True)

    assert "Your booking is cancelled." in text_of(response)
    assert bookings(app, event_id) == {holder.id: "cancelled", waiting.id: "cancelled"}
    assert [m.kind for m in outbox(user_id=waiting.id)][-2:] == ["booking_promoted", "booking_cancelled"]
    assert outbox(user_id=waiting.id)[-1].attachment_data is not None  # the place's METHOD:CANCEL


def test_booking_again_after_cancelling_reuses_the_row_and_joins_the_back_of_the_queue(
    app, make_fellow, make_event, login
):
    from events.models import Booking

    event_id = make_event(capacity=1)
    holder, waiting = make_fellow(), make_fellow()
    holder_client = login(holder)
    holder_client.post(f"/events/{event_id}/book", data={"dietary_requirements": "Vegan"})
    login(waiting).post(f"/events/{event_id}/book")
    first = booking_of(app, event_id, holder.id)
    holder_client.post(f"/bookings/{first.id}/cancel")

    response = holder_client.post(f"/events/{event_id}/book", data={"dietary_requirements": ""})

    assert response.status_code == 302
    again = booking_of(app, event_id, holder.id)
    assert again.id == first.id
    assert again.state == "waitlisted" and again.position == 1
    assert again.requested_at > first.requested_at
    assert again.cancelled_at is None and again.dietary_requirements is None
    with app.app_context():
        assert db.session.scalar(select(func.count(Booking.id)).where(Booking.event_id == event_id)) == 2


def _refusal_event(make_event, make_fellow, case):
    """An event (and the fellow's state) for each way booking is refused."""
    t = now()
    if case == "cancelled":
        return make_event(state="cancelled", cancellation_reason="Speaker unwell"), "This event has been cancelled"
    if case == "started":
        return make_event(starts_at=t - timedelta(minutes=5), ends_at=t + timedelta(hours=1)), "already started"
    if case == "over":
        return make_event(starts_at=t - timedelta(days=2), ends_at=t - timedelta(days=2, hours=-2)), "event is over"
    if case == "not_yet_open":
        return make_event(registration_opens_at=t + timedelta(days=1)), "Booking opens on"
    if case == "closed":
        return make_event(registration_closes_at=t - timedelta(hours=1)), "Booking for this event has closed"
    if case == "not_invited":
        return make_event(audience="invitation"), "by invitation only"
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["cancelled", "started", "over", "not_yet_open", "closed", "not_invited"])
def test_booking_is_refused_with_a_clear_message(app, make_fellow, make_event, login, outbox, case):
    event_id, message = _refusal_event(make_event, make_fellow, case)
    fellow = make_fellow()

    response = login(fellow).post(f"/events/{event_id}/book")

    assert response.status_code == 409
    assert message in text_of(response)
    assert bookings(app, event_id) == {}
    assert outbox() == []


@pytest.mark.parametrize("capacity, message", [(5, "You already have a place"), (0, "already on the waitlist")])
def test_booking_twice_is_refused(app, make_fellow, make_event, login, capacity, message):
    event_id = make_event(capacity=capacity)
    fellow = make_fellow()
    client = login(fellow)
    client.post(f"/events/{event_id}/book")
    before = booking_of(app, event_id, fellow.id)

    response = client.post(f"/events/{event_id}/book")

    assert response.status_code == 409
    assert message in text_of(response)
    after = booking_of(app, event_id, fellow.id)
    assert (after.id, after.state, after.requested_at) == (before.id, before.state, before.requested_at)


def test_a_draft_cannot_be_booked_even_with_its_address(app, make_fellow, make_event, login):
    event_id = make_event(state="draft")
    response = login(make_fellow()).post(f"/events/{event_id}/book")
    assert response.status_code == 404
    assert bookings(app, event_id) == {}


def test_draft_refusal_in_the_service(app, make_fellow, make_event):
    from events.bookings.services import BookingError, book_place
    from events.models import Event
    from fellows.models import User

    event_id = make_event(state="draft")
    fellow = make_fellow()
    with app.test_request_context():
        with pytest.raises(BookingError, match="not open for booking yet"):
            book_place(db.session.get(User, fellow.id), db.session.get(Event, event_id))
        db.session.rollback()


def test_an_invited_fellow_may_book_an_invitation_only_event(app, make_fellow, make_event, login):
    from events.models import EventInvitation

    event_id = make_event(audience="invitation", capacity=10)
    invited = make_fellow()
    with app.app_context():
        db.session.add(EventInvitation(event_id=event_id, user_id=invited.id))
        db.session.commit()
    client = login(invited)
    assert "You are invited" in text_of(client.get(f"/events/{event_id}"))

    assert client.post(f"/events/{event_id}/book").status_code == 302
    assert bookings(app, event_id) == {invited.id: "confirmed"}


def test_anonymous_visitors_are_sent_to_sign_in_and_nothing_is_booked(app, client, make_event):
    event_id = make_event(audience="public")
    response = client.post(f"/events/{event_id}/book")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert bookings(app, event_id) == {}
    assert "Sign in to book" in text_of(client.get(f"/events/{event_id}"))


def test_an_overlong_answer_re_renders_the_form_with_400(app, make_fellow, make_event, login):
    event_id = make_event(capacity=3)
    response = login(make_fellow()).post(f"/events/{event_id}/book", data={"dietary_requirements": "x" * 501})
    assert response.status_code == 400
    assert "Field cannot be longer than 500 characters" in text_of(response)
    assert bookings(app, event_id) == {}


@pytest.mark.parametrize("case", ["started", "event_cancelled", "already_cancelled"])
def test_cancelling_is_refused_when_it_no_longer_makes_sense(app, make_fellow, make_event, login, case):
    from events.models import Booking, Event

    fellow = make_fellow()
    event_id = make_event(capacity=3)
    client = login(fellow)
    client.post(f"/events/{event_id}/book")
    booking_id = booking_of(app, event_id, fellow.id).id
    with app.app_context():
        event = db.session.get(Event, event_id)
        if case == "started":
            event.starts_at = now() - timedelta(minutes=10)
        elif case == "event_cancelled":
            event.state = "cancelled"
            event.cancellation_reason = "Strike"
        else:
            db.session.get(Booking, booking_id).state = "cancelled"
        db.session.commit()
    expected_state = "cancelled" if case == "already_cancelled" else "confirmed"

    response = client.post(f"/bookings/{booking_id}/cancel")

    assert response.status_code == 409
    assert {
        "started": "already started",
        "event_cancelled": "nothing to cancel",
        "already_cancelled": "already cancelled",
    }[case] in text_of(response)
    assert booking_of(app, event_id, fellow.id).state == expected_state


def test_promotion_skips_nobody_and_respects_queue_order_across_several_cancellations(
    app, make_fellow, make_event, login
):
    event_id = make_event(capacity=2)
    fellows = [make_fellow() for _ in range(5)]
    clients = [login(f) for f in fellows]
    for client in clients:
        client.post(f"/events/{event_id}/book")
    for index in (0, 1):
        booking = booking_of(app, event_id, fellows[index].id)
        clients[index].post(f"/bookings/{booking.id}/cancel")

    assert bookings(app, event_id) == {
        fellows[0].id: "cancelled",
        fellows[1].id: "cancelled",
        fellows[2].id: "confirmed",
        fellows[3].id: "confirmed",
        fellows[4].id: "waitlisted",
    }
    assert waitlist(app, event_id) == [(1, fellows[4].id)]


def test_my_bookings_lists_upcoming_and_past_with_status(app, make_fellow, make_event, login):
    from events.models import Booking

    fellow = make_fellow()
    t = now()
    confirmed = make_event(title="Upcoming confirmed", capacity=5)
    waiting = make_event(title="Upcoming waitlisted", capacity=0)
    past = make_event(
        title="Last year's lunch", starts_at=t - timedelta(days=300), ends_at=t - timedelta(days=300, hours=-2)
    )
    client = login(fellow)
    client.post(f"/events/{confirmed}/book")
    client.post(f"/events/{waiting}/book")
    with app.app_context():
        db.session.add(
            Booking(
                event_id=past,
                user_id=fellow.id,
                state="confirmed",
                attendance="attended",
                requested_at=t - timedelta(days=320),
            )
        )
        db.session.commit()

    page = text_of(client.get("/my/bookings"))

    upcoming, _, past_part = page.partition("Past")
    assert "Upcoming confirmed Confirmed" in upcoming
    assert "Upcoming waitlisted Waitlist · position 1" in upcoming
    assert "Last year's lunch Attended" in past_part and "Last year's lunch" not in upcoming


def test_nul_characters_in_answers_are_dropped_rather_than_failing(app, make_fellow, make_event, login):
    event_id = make_event(capacity=3)
    fellow = make_fellow()
    response = login(fellow).post(f"/events/{event_id}/book", data={"dietary_requirements": "Veg\x00an"})
    assert response.status_code == 302
    assert booking_of(app, event_id, fellow.id).dietary_requirements == "Vegan"


def test_the_joining_link_is_emailed_only_to_people_with_a_place(
    app, login, make_event, make_fellow, make_organiser, outbox
):
    """As on the event page and in the .ics: waitlist, cancellation and cancelled-event emails leave it out."""
    link = "https://meet.example.org/private-room"
    event_id = make_event(capacity=1, online_url=link)
    placed, waiting = make_fellow(), make_fellow()
    assert login(placed).post(f"/events/{event_id}/book").status_code == 302
    waiting_client = login(waiting)
    assert waiting_client.post(f"/events/{event_id}/book").status_code == 302

    def bodies(kind: str, user) -> str:
        (message,) = outbox(kind=kind, user_id=user.id)
        return message.text_body + (message.html_body or "")

    assert link in bodies("booking_confirmed", placed)
    assert link not in bodies("booking_waitlisted", waiting)
    with app.app_context():
        booking_id = db.session.scalar(db.select(Booking.id).filter_by(event_id=event_id, user_id=waiting.id))
    assert waiting_client.post(f"/bookings/{booking_id}/cancel").status_code == 302
    assert link not in bodies("booking_cancelled", waiting)

    organiser = login(make_organiser())
    assert organiser.post(f"/organiser/events/{event_id}/cancel", data={"reason": "Unwell"}).status_code == 302
    assert link not in bodies("event_cancelled", placed)
