"""Who may see and do what: drafts, audiences, organiser pages and other people's bookings."""

from __future__ import annotations

import re

import pytest

from tests.events_helpers import booking_of, bookings, get_event, text_of

ROLES = ("anonymous", "fellow", "organiser")


@pytest.fixture
def as_role(client, login, make_fellow, make_organiser):
    def factory(role):
        if role == "anonymous":
            return client
        return login(make_organiser() if role == "organiser" else make_fellow())

    return factory


@pytest.mark.parametrize(
    "audience, state, expected",
    [
        ("public", "published", {"anonymous": 200, "fellow": 200, "organiser": 200}),
        ("fellows", "published", {"anonymous": "login", "fellow": 200, "organiser": 200}),
        ("invitation", "published", {"anonymous": "login", "fellow": 200, "organiser": 200}),
        ("fellows", "cancelled", {"anonymous": "login", "fellow": 200, "organiser": 200}),
        ("public", "draft", {"anonymous": 404, "fellow": 404, "organiser": 200}),
        ("fellows", "draft", {"anonymous": 404, "fellow": 404, "organiser": 200}),
    ],
)
@pytest.mark.parametrize("role", ROLES)
def test_who_sees_an_event_page(make_event, as_role, audience, state, expected, role):
    event_id = make_event(
        audience=audience,
        state=state,
        title="The event in question",
        cancellation_reason="Strike" if state == "cancelled" else None,
    )

    response = as_role(role).get(f"/events/{event_id}")

    if expected[role] == "login":
        # Anonymous visitors are asked to sign in and come back; the page itself is not shown.
        assert response.status_code == 302
        assert response.headers["Location"] == f"/login?next=/events/{event_id}"
    else:
        assert response.status_code == expected[role]
        assert ("The event in question" in text_of(response)) == (expected[role] == 200)


@pytest.mark.parametrize(
    "role, visible",
    [
        ("anonymous", {"public"}),
        ("fellow", {"public", "fellows", "invitation"}),
        ("organiser", {"public", "fellows", "invitation"}),
    ],
)
def test_the_events_list_shows_each_role_only_what_it_may_see(make_event, as_role, role, visible):
    for audience in ("public", "fellows", "invitation"):
        make_event(audience=audience, title=f"Listed {audience} event")
        make_event(audience=audience, state="draft", title=f"Draft {audience} event")

    page = text_of(as_role(role).get("/events"))

    assert {a for a in ("public", "fellows", "invitation") if f"Listed {a} event" in page} == visible
    assert "Draft" not in page


ORGANISER_PAGES = [
    "/organiser/events",
    "/organiser/events/new",
    "/organiser/events/{event}/edit",
    "/organiser/events/{event}/cancel",
    "/organiser/events/{event}/attendees",
    "/organiser/events/{event}/attendees.csv",
    "/organiser/events/{event}/catering.csv",
    "/organiser/events/{event}/invitations",
    "/organiser/events/{event}/history",
]


@pytest.mark.parametrize("route", ORGANISER_PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_organiser_pages_are_for_organisers_only(make_event, make_fellow, as_role, route, role):
    event_id = make_event(audience="invitation", title="Secret dinner")
    response = as_role(role).get(route.format(event=event_id))
    expected = {"anonymous": 302, "fellow": 403, "organiser": 200}[role]
    assert response.status_code == expected
    if role == "anonymous":
        assert response.headers["Location"].startswith("/login")


ORGANISER_ACTIONS = [
    ("/organiser/events/{event}/publish", {}),
    ("/organiser/events/{event}/duplicate", {}),
    ("/organiser/events/{event}/delete", {}),
    ("/organiser/events/{event}/cancel", {"reason": "Because"}),
    ("/organiser/events/{event}/edit", {"title": "Hijacked"}),
    ("/organiser/events/{event}/capacity", {"capacity": "0"}),
    ("/organiser/events/{event}/attendees/add", {"fellow_id": "{other}"}),
    ("/organiser/events/{event}/invitations", {"fellows": "{other}"}),
    ("/organiser/bookings/{booking}/remove", {}),
    ("/organiser/bookings/{booking}/promote", {}),
    ("/organiser/bookings/{booking}/attendance", {"attendance": "no_show"}),
]


@pytest.mark.parametrize("route, data", ORGANISER_ACTIONS)
@pytest.mark.parametrize("role", ("anonymous", "fellow"))
def test_organiser_actions_are_refused_to_others_and_change_nothing(
    app, make_event, make_fellow, login, client, route, data, role
):
    draft_only = "publish" in route or "delete" in route
    event_id = make_event(state="draft" if draft_only else "published", capacity=5, title="Untouched")
    holder, other = make_fellow(), make_fellow()
    if not draft_only:
        login(holder).post(f"/events/{event_id}/book")
    booking = booking_of(app, event_id, holder.id)
    before_event = get_event(app, event_id)
    before_bookings = bookings(app, event_id)
    values = {"event": event_id, "booking": booking.id if booking else 0, "other": other.id}
    actor = client if role == "anonymous" else login(make_fellow())

    response = actor.post(route.format(**values), data={k: v.format(**values) for k, v in data.items()})

    assert response.status_code == (302 if role == "anonymous" else 403)
    after = get_event(app, event_id)
    assert (after.state, after.title, after.capacity) == (before_event.state, "Untouched", 5)
    assert bookings(app, event_id) == before_bookings


def test_a_fellow_cannot_cancel_someone_elses_booking(app, make_fellow, make_event, login, outbox):
    event_id = make_event(capacity=3)
    owner, intruder = make_fellow(), make_fellow()
    login(owner).post(f"/events/{event_id}/book")
    booking = booking_of(app, event_id, owner.id)

    response = login(intruder).post(f"/bookings/{booking.id}/cancel")

    assert response.status_code == 404  # the same answer as for a booking that does not exist
    assert booking_of(app, event_id, owner.id).state == "confirmed"
    assert outbox(kind="booking_cancelled") == []


def test_a_fellow_does_not_see_other_peoples_names_or_needs_on_the_event_page(make_fellow, make_event, login):
    event_id = make_event(capacity=3)
    login(make_fellow(name="Private Person")).post(
        f"/events/{event_id}/book", data={"dietary_requirements": "Nut allergy"}
    )
    page = text_of(login(make_fellow()).get(f"/events/{event_id}"))
    assert "Private Person" not in page and "Nut allergy" not in page
    assert "Attendees" not in page and "Edit" not in page


def test_my_bookings_needs_a_sign_in(client):
    response = client.get("/my/bookings")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_booking_without_a_csrf_token_is_refused(csrf_app, make_fellow, make_event, login):
    event_id = make_event(capacity=3)
    fellow = make_fellow()
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": fellow.email, "password": "correct horse battery staple", "csrf_token": token})

    refused = client.post(f"/events/{event_id}/book")
    assert refused.status_code == 400
    assert bookings(csrf_app, event_id) == {}

    form = client.get(f"/events/{event_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    assert client.post(f"/events/{event_id}/book", data={"csrf_token": token}).status_code == 302
    assert bookings(csrf_app, event_id) == {fellow.id: "confirmed"}
