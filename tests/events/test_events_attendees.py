"""The organisers' attendee page: lists, catering numbers, CSV exports and changes to bookings."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from extensions import db
from tests.events_helpers import booking_of, bookings, get_event, text_of, waitlist


def _csv(response) -> list[list[str]]:
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


@pytest.fixture
def organiser_client(make_organiser, login):
    return login(make_organiser())


def test_the_catering_summary_counts_needs_without_names(app, make_fellow, make_event, login, organiser_client):
    event_id = make_event(capacity=10)
    answers = [
        ("Vegetarian", "Step-free access"),
        (" vegetarian. ", ""),
        ("VEGETARIAN", "step-free  access"),
        ("Nut allergy", ""),
        ("none", "n/a"),
        ("", ""),
    ]
    for number, (dietary, access) in enumerate(answers):
        login(make_fellow(name=f"Guest {number}")).post(
            f"/events/{event_id}/book", data={"dietary_requirements": dietary, "access_needs": access}
        )

    page = organiser_client.get(f"/organiser/events/{event_id}/attendees")

    text = text_of(page)
    assert "6 confirmed of 10 places" in text
    summary = text.partition("Dietary requirements (confirmed places)")[2].partition("Change capacity")[0]
    assert "Requirement People Vegetarian 3 Nut allergy 1" in summary
    assert "Need People Step-free access 2" in summary
    assert "Guest" not in summary and "None" not in summary.replace("None given", "")
    rows = _csv(organiser_client.get(f"/organiser/events/{event_id}/catering.csv"))
    assert rows == [
        ["Kind", "Need", "Number of people"],
        ["Confirmed places", "", "6"],
        ["Dietary requirement", "Vegetarian", "3"],
        ["Dietary requirement", "Nut allergy", "1"],
        ["Access need", "Step-free access", "2"],
    ]


def test_the_attendee_csv_lists_everyone_and_cannot_run_formulas(app, make_fellow, make_event, login, organiser_client):
    event_id = make_event(capacity=1, title="Lunch: =cmd")
    first = make_fellow(name='=HYPERLINK("http://evil.example","click")', email="first@example.org")
    second, third = make_fellow(name="Second Person"), make_fellow(name="Third Person")
    login(first).post(f"/events/{event_id}/book", data={"dietary_requirements": "+SUM(A1:A9)", "comment": "@import"})
    login(second).post(f"/events/{event_id}/book")
    third_client = login(third)
    third_client.post(f"/events/{event_id}/book")
    third_client.post(f"/bookings/{booking_of(app, event_id, third.id).id}/cancel")

    response = organiser_client.get(f"/organiser/events/{event_id}/attendees.csv")

    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="attendees-lunch-cmd-')
    header, *rows = _csv(response)
    assert header[:3] == ["Status", "Waitlist position", "Name"]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("confirmed", "", '\'=HYPERLINK("http://evil.example","click")'),
        ("waitlisted", "1", "Second Person"),
        ("cancelled", "", "Third Person"),
    ]
    assert rows[0][3] == "first@example.org"
    assert rows[0][header.index("Dietary requirements")] == "'+SUM(A1:A9)"
    assert rows[0][header.index("Comment")] == "'@import"


def test_a_deleted_account_gives_up_its_place_to_come_and_appears_as_a_former_fellow(
    app, make_fellow, make_event, login, organiser_client
):
    """Issue 13: a deleted account no longer holds a place at an event to come; its row stays, with no name."""
    from fellows.models import User
    from fellows.services import delete_account

    event_id = make_event(capacity=2)
    leaving, staying = make_fellow(name="Leaving Fellow"), make_fellow(name="Staying Fellow")
    login(leaving).post(f"/events/{event_id}/book", data={"dietary_requirements": "Vegan"})
    login(staying).post(f"/events/{event_id}/book")
    with app.app_context():
        delete_account(db.session.get(User, leaving.id))
        db.session.commit()

    assert bookings(app, event_id) == {None: "cancelled", staying.id: "confirmed"}
    page = text_of(organiser_client.get(f"/organiser/events/{event_id}/attendees"))
    assert "Former fellow (account deleted)" in page and "Leaving Fellow" not in page
    assert "1 confirmed of 2 places" in page and "Vegan" not in page
    assert "1 left" in text_of(organiser_client.get(f"/events/{event_id}"))
    rows = _csv(organiser_client.get(f"/organiser/events/{event_id}/attendees.csv"))
    assert ["cancelled", "", "Former fellow (account deleted)", ""] == [row for row in rows if row[0] == "cancelled"][
        0
    ][:4]
    late = make_fellow()
    assert login(late).post(f"/events/{event_id}/book").status_code == 302
    assert booking_of(app, event_id, late.id).state == "confirmed"


def test_adding_a_fellow_by_hand(app, make_fellow, make_event, organiser_client, outbox):
    event_id = make_event(capacity=1, audience="invitation")  # organisers are not bound by the audience
    first, second = make_fellow(name="First Added"), make_fellow(name="Second Added")

    added = organiser_client.post(
        f"/organiser/events/{event_id}/attendees/add",
        data={"fellow_id": str(first.id), "dietary_requirements": "Halal"},
        follow_redirects=True,
    )
    organiser_client.post(f"/organiser/events/{event_id}/attendees/add", data={"fellow_id": str(second.id)})
    again = organiser_client.post(f"/organiser/events/{event_id}/attendees/add", data={"fellow_id": str(first.id)})
    empty = organiser_client.post(f"/organiser/events/{event_id}/attendees/add", data={"fellow_id": ""})

    assert "First Added has a confirmed place" in text_of(added)
    assert bookings(app, event_id) == {first.id: "confirmed", second.id: "waitlisted"}
    booking = booking_of(app, event_id, first.id)
    assert booking.changed_by_id is not None and booking.dietary_requirements == "Halal"
    assert [m.user_id for m in outbox(kind="booking_confirmed")] == [first.id]
    assert [m.user_id for m in outbox(kind="booking_waitlisted")] == [second.id]
    assert again.status_code == 400  # the fellow is no longer offered, so the choice is invalid
    assert empty.status_code == 400 and "Choose a fellow" in text_of(empty)


def test_removing_a_booking_promotes_the_next_person_and_emails_both(
    app, make_fellow, make_event, login, organiser_client, outbox
):
    event_id = make_event(capacity=1)
    holder, waiting = make_fellow(name="Holder"), make_fellow(name="Waiting")
    login(holder).post(f"/events/{event_id}/book")
    login(waiting).post(f"/events/{event_id}/book")
    booking_id = booking_of(app, event_id, holder.id).id

    response = organiser_client.post(f"/organiser/bookings/{booking_id}/remove", follow_redirects=True)

    assert "The booking of Holder is cancelled. Moved off the waitlist: Waiting." in text_of(response)
    assert bookings(app, event_id) == {holder.id: "cancelled", waiting.id: "confirmed"}
    assert booking_of(app, event_id, holder.id).changed_by_id is not None
    [cancelled] = outbox(kind="booking_cancelled")
    assert cancelled.user_id == holder.id and "An organiser has cancelled your booking" in cancelled.text_body
    assert [m.user_id for m in outbox(kind="booking_promoted")] == [waiting.id]
    again = organiser_client.post(f"/organiser/bookings/{booking_id}/remove")
    assert again.status_code == 409 and "already cancelled" in text_of(again)


def test_moving_someone_off_a_full_waitlist_adds_a_place(app, make_fellow, make_event, login, organiser_client, outbox):
    from events.models import EventChange

    event_id = make_event(capacity=1)
    fellows = [make_fellow() for _ in range(3)]
    for fellow in fellows:
        login(fellow).post(f"/events/{event_id}/book")
    second_in_queue = booking_of(app, event_id, fellows[2].id)

    response = organiser_client.post(f"/organiser/bookings/{second_in_queue.id}/promote", follow_redirects=True)

    assert "one place was added" in text_of(response)
    assert get_event(app, event_id).capacity == 2
    assert bookings(app, event_id) == {
        fellows[0].id: "confirmed",
        fellows[1].id: "waitlisted",
        fellows[2].id: "confirmed",
    }
    assert waitlist(app, event_id) == [(1, fellows[1].id)]
    assert [m.user_id for m in outbox(kind="booking_promoted")] == [fellows[2].id]
    with app.app_context():
        [change] = db.session.scalars(db.select(EventChange).where(EventChange.event_id == event_id)).all()
        assert change.changes == {"capacity": ["1", "2"]}
    not_waiting = organiser_client.post(f"/organiser/bookings/{second_in_queue.id}/promote")
    assert not_waiting.status_code == 409 and "not on the waitlist" in text_of(not_waiting)


def test_raising_capacity_promotes_in_order_and_lowering_below_confirmed_is_refused(
    app, make_fellow, make_event, login, organiser_client
):
    event_id = make_event(capacity=2)
    fellows = [make_fellow() for _ in range(5)]
    for fellow in fellows:
        login(fellow).post(f"/events/{event_id}/book")

    raised = organiser_client.post(f"/organiser/events/{event_id}/capacity", data={"capacity": "4"})
    assert raised.status_code == 302
    assert [bookings(app, event_id)[f.id] for f in fellows] == ["confirmed"] * 4 + ["waitlisted"]

    lowered = organiser_client.post(f"/organiser/events/{event_id}/capacity", data={"capacity": "3"})
    assert lowered.status_code == 400
    assert "The capacity cannot be lower than 4: 4 people already have a confirmed place" in text_of(lowered)
    assert get_event(app, event_id).capacity == 4

    unlimited = organiser_client.post(f"/organiser/events/{event_id}/capacity", data={"capacity": ""})
    assert unlimited.status_code == 302 and get_event(app, event_id).capacity is None
    assert set(bookings(app, event_id).values()) == {"confirmed"}
    negative = organiser_client.post(f"/organiser/events/{event_id}/capacity", data={"capacity": "-2"})
    assert negative.status_code == 400 and "Enter 0 or more" in text_of(negative)


def test_attendance_is_recorded_from_the_day_of_the_event(app, make_fellow, make_event, login, organiser_client):
    from events.models import Event

    event_id = make_event(capacity=1)
    present, waiting = make_fellow(), make_fellow()
    login(present).post(f"/events/{event_id}/book")
    login(waiting).post(f"/events/{event_id}/book")
    booking_id = booking_of(app, event_id, present.id).id
    waiting_id = booking_of(app, event_id, waiting.id).id

    early = organiser_client.post(f"/organiser/bookings/{booking_id}/attendance", data={"attendance": "attended"})
    assert early.status_code == 409 and "from the day of the event" in text_of(early)

    with app.app_context():
        event = db.session.get(Event, event_id)
        event.starts_at = datetime.now(UTC) - timedelta(minutes=20)
        db.session.commit()
    assert "No-show" in text_of(organiser_client.get(f"/organiser/events/{event_id}/attendees"))
    organiser_client.post(f"/organiser/bookings/{booking_id}/attendance", data={"attendance": "no_show"})
    assert booking_of(app, event_id, present.id).attendance == "no_show"
    organiser_client.post(f"/organiser/bookings/{booking_id}/attendance", data={"attendance": ""})
    assert booking_of(app, event_id, present.id).attendance is None
    refused = organiser_client.post(f"/organiser/bookings/{waiting_id}/attendance", data={"attendance": "attended"})
    assert refused.status_code == 409 and "confirmed places only" in text_of(refused)
    bad = organiser_client.post(f"/organiser/bookings/{booking_id}/attendance", data={"attendance": "maybe"})
    assert bad.status_code == 400


def test_fellows_to_add_are_found_by_search_not_listed(app, make_fellow, make_event, organiser_client):
    """The page offers no list of every fellow: a search (a plain GET form) finds those without a booking."""
    event_id = make_event()
    booked = make_fellow(name="Amelia Booked", email="amelia.booked@example.org")
    wanted = make_fellow(name="Amelia Hart", email="amelia.hart@example.org")
    make_fellow(name="Ben Okafor", email="ben@example.org")
    organiser_client.post(f"/organiser/events/{event_id}/attendees/add", data={"fellow_id": str(booked.id)})

    page = text_of(organiser_client.get(f"/organiser/events/{event_id}/attendees"))
    assert "Find a fellow by name or email address" in page and "Ben Okafor" not in page

    found = organiser_client.get(f"/organiser/events/{event_id}/attendees?find=amelia")
    html = found.get_data(as_text=True)
    assert f'value="{wanted.id}"' in html and f'value="{booked.id}"' not in html and "Ben Okafor" not in html
    by_email = organiser_client.get(f"/organiser/events/{event_id}/attendees?find=HART%20example.org")
    assert f'value="{wanted.id}"' in by_email.get_data(as_text=True)
    nobody = text_of(organiser_client.get(f"/organiser/events/{event_id}/attendees?find=100%25"))
    assert "No fellow without a booking matches “100%”" in nobody  # LIKE wildcards are taken literally

    added = organiser_client.post(
        f"/organiser/events/{event_id}/attendees/add", data={"fellow_id": str(wanted.id)}, follow_redirects=True
    )
    assert "Amelia Hart has a confirmed place" in text_of(added)
    again = organiser_client.post(f"/organiser/events/{event_id}/attendees/add", data={"fellow_id": str(wanted.id)})
    assert again.status_code == 400 and "already has a booking" in text_of(again)


def test_the_search_offers_at_most_twenty_and_says_there_are_more(app, make_fellow, make_event, organiser_client):
    event_id = make_event()
    for n in range(23):
        make_fellow(name=f"Grace Fellow {n:02}")
    response = organiser_client.get(f"/organiser/events/{event_id}/attendees?find=grace")
    html = response.get_data(as_text=True)
    assert html.count('name="fellow_id"') == 20 and "Grace Fellow 00" in html and "Grace Fellow 20" not in html
    assert "Only the first 20 matches are shown" in text_of(response)


def test_long_attendee_lists_are_paged_each_on_its_own(app, make_fellow, make_event, login, organiser_client):
    app.config["ATTENDEES_PER_PAGE"] = 2
    event_id = make_event(capacity=3)
    names = ["Carys Abbott", "Dmitri Baker", "Elin Chowdhury", "Felix Devlin", "Gita Ellis", "Hamid Ferreira"]
    for name in names:
        assert login(make_fellow(name=name)).post(f"/events/{event_id}/book").status_code == 302
    path = f"/organiser/events/{event_id}/attendees"

    first = text_of(organiser_client.get(path))
    assert "Confirmed (3)" in first and "Waitlist (3)" in first and "3 confirmed of 3 places" in first
    assert "Carys Abbott" in first and "Dmitri Baker" in first and "Elin Chowdhury" not in first
    assert "Felix Devlin" in first and "Gita Ellis" in first and "Hamid Ferreira" not in first
    assert "Page 1 of 2" in first

    second = organiser_client.get(f"{path}?confirmed=2&waitlist=2")
    html = second.get_data(as_text=True)
    assert "Elin Chowdhury" in text_of(second) and "Carys Abbott" not in text_of(second)
    # The waitlist's second page goes on counting positions: Hamid Ferreira is third in the queue.
    assert '<td data-label="Position">3</td>' in html and "Hamid Ferreira" in text_of(second)
    assert "Page 9" not in text_of(organiser_client.get(f"{path}?confirmed=9"))  # past the end: the last page


def test_the_attendee_page_costs_the_same_queries_for_many_bookings(
    app, make_fellow, make_event, login, organiser_client, count_queries
):
    def queries(event_id) -> int:
        url = f"/organiser/events/{event_id}/attendees?find=fellow"
        organiser_client.get(url)  # a warm request (the signed-in organiser is kept between changes)
        with count_queries() as counter:
            assert organiser_client.get(url).status_code == 200
        return counter.count

    small, large = make_event(capacity=2), make_event(capacity=20)
    for n in range(3):
        login(make_fellow(name=f"Fellow small {n}")).post(
            f"/events/{small}/book", data={"dietary_requirements": "Vegan"}
        )
    for n in range(40):
        client = login(make_fellow(name=f"Fellow large {n}"))
        client.post(f"/events/{large}/book", data={"dietary_requirements": f"Need {n % 4}", "access_needs": "Ramp"})
        if n % 10 == 0:
            client.post(f"/events/{large}/book")  # a few book twice: still one booking
    assert queries(small) == queries(large)
