"""Small things a new user tripped over (issue 11): the title default, counted nouns, unknown filter
values in list URLs, the Chatham House check's spellings, and a past event's page for anonymous visitors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from extensions import db
from tests.events_helpers import text_of
from tests.notes_helpers import book_fixture, make_note_fixture, past  # noqa: F401  (fixtures)


def test_profile_form_shows_the_title_default_as_a_dash(login, make_fellow):
    page = login(make_fellow()).get("/profile/edit").get_data(as_text=True)
    assert '<option selected value="">—</option>' in page or '<option value="">—</option>' in page
    assert ">None</option>" not in page


def test_cancel_page_counts_people_in_the_right_number(app, login, make_organiser, make_fellow, make_event):
    event_id = make_event(capacity=5)
    login(make_fellow()).post(f"/events/{event_id}/book")
    organiser = login(make_organiser())
    page = text_of(organiser.get(f"/organiser/events/{event_id}/cancel"))
    assert "1 person will be emailed: 1 with a confirmed place and 0 on the waitlist." in page
    assert "waitlisted person" not in page
    empty = text_of(organiser.get(f"/organiser/events/{make_event()}/cancel"))
    assert "Nobody is booked, so nobody will be emailed." in empty


def test_capacity_below_one_confirmed_place_says_person(app, login, make_organiser, make_fellow, make_event):
    event_id = make_event(capacity=5)
    login(make_fellow()).post(f"/events/{event_id}/book")
    organiser = login(make_organiser())
    response = organiser.post(f"/organiser/events/{event_id}/capacity", data={"capacity": "0"})
    text = text_of(organiser.get(f"/organiser/events/{event_id}/attendees")) + text_of(response)
    assert "1 person already has a confirmed place" in text and "1 people" not in text
    single = make_event(capacity=1, starts_at=datetime.now(UTC) - timedelta(days=3))
    assert "of 1 place" in text_of(organiser.get(f"/events/{single}")) and "1 places" not in text_of(
        organiser.get(f"/events/{single}")
    )


@pytest.mark.parametrize(
    ("path", "notice"),
    [
        ("/events?kind=lectures", "“lectures” is not a kind of event this list knows"),
        ("/events?topic=no-such-topic", "“no-such-topic” is not a topic this list knows"),
        ("/events?when=someday", "“someday” is not a time this list knows"),
        ("/events?host=999", "“999” is not a host this list knows"),
        ("/fellows?sector=space", "“space” is not a sector this list knows"),
        ("/fellows?status=retired", "“retired” is not a status this list knows"),
        ("/fellows?interest=unheard-of", "“unheard-of” is not a policy interest this list knows"),
        ("/notes?kind=lectures", "“lectures” is not a kind of event this list knows"),
        ("/notes?year=last", "“last” is not a year this list knows"),
        ("/organiser/events?state=archived", "“archived” is not a state this list knows"),
        ("/organiser/notes?state=archived", "“archived” is not a state this list knows"),
        ("/organiser/fellows?account=vip", "“vip” is not a kind of account this list knows"),
    ],
)
def test_unknown_filter_value_gets_a_notice_and_the_whole_list(login, make_organiser, make_event, path, notice):
    make_event(title="Still listed", audience="public")
    client = login(make_organiser())
    response = client.get(path)
    text = text_of(response)
    assert response.status_code == 200
    assert notice in text and "so the list is not filtered by" in text
    if path.startswith("/events"):
        assert "Still listed" in text  # the unknown filter is ignored, not applied as "nothing matches"


def test_known_filter_values_get_no_notice(login, make_organiser, make_event):
    make_event(topics=("Energy",))
    client = login(make_organiser())
    for path in ("/events?kind=lunch&topic=energy", "/notes?year=2016", "/organiser/events?state=draft"):
        assert "this list knows" not in text_of(client.get(path))


def test_chatham_check_quotes_each_spelling_of_a_mention(app, login, make_organiser, make_event, make_note):
    from events.models import Speaker

    event_id = make_event(starts_at=past())
    with app.app_context():
        db.session.add(Speaker(event_id=event_id, honorific="Dr", name="Mark Thompson", position=0))
        db.session.commit()
    note_id = make_note(
        event_id,
        state="in_review",
        published_at=None,
        chatham_house=True,
        body="Dr Thompson opened. Mark Thompson then argued, and Dr Thompson closed.",
    )
    page = text_of(login(make_organiser()).get(f"/organiser/notes/{note_id}"))
    assert "written as “Dr Thompson” (2 times), “Mark Thompson”; speaker" in page


def test_past_event_offers_its_ics_and_no_sign_in_to_book(client, make_event):
    event_id = make_event(audience="public", starts_at=datetime.now(UTC) - timedelta(days=10))
    page = text_of(client.get(f"/events/{event_id}"))
    assert "Sign in to book" not in page
    assert "This event is over." in page
    assert f'href="/events/{event_id}/event.ics"' in client.get(f"/events/{event_id}").get_data(as_text=True)
    assert client.get(f"/events/{event_id}/event.ics").status_code == 200


def test_upcoming_event_still_asks_anonymous_visitors_to_sign_in(client, make_event):
    page = text_of(client.get(f"/events/{make_event(audience='public')}"))
    assert "Sign in to book" in page
