"""Organisers create, edit, publish, cancel, duplicate and delete events; changes are recorded."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from extensions import db
from tests.events_helpers import bookings, event_form, get_event, text_of


def _latest_event(app):
    from events.models import Event

    with app.app_context():
        event = db.session.scalar(select(Event).order_by(Event.id.desc()))
        speakers = [
            (s.display_name, s.role, s.organisation.name if s.organisation else None, s.fellow_id)
            for s in event.speakers
        ]
        topics = [t.name for t in event.topics]
        db.session.expunge(event)
        return event, speakers, topics


def _changes(app, event_id):
    from events.models import EventChange

    with app.app_context():
        return [
            (c.user_id, c.changes, c.summary)
            for c in db.session.scalars(
                select(EventChange).where(EventChange.event_id == event_id).order_by(EventChange.id)
            )
        ]


def _tag_id(app, name):
    from core.tags import find_or_create_tag

    with app.app_context():
        tag = find_or_create_tag(name)
        db.session.commit()
        return tag.id


def test_an_organiser_creates_a_draft_with_speakers_host_and_topics(
    app, make_organiser, make_organisation, make_fellow, login
):
    organiser = make_organiser()
    host = make_organisation("Policy Lab, Cabinet Office")
    speaker_fellow = make_fellow(name="Grace Hopper")
    topic = _tag_id(app, "Digital government")
    client = login(organiser)

    response = client.post(
        "/organiser/events/new",
        data=event_form(
            host_id=str(host.id),
            topics=[str(topic)],
            capacity="",
            **{
                "speakers-0-honorific": "Dr",
                "speakers-0-name": "Mark Thompson",
                "speakers-0-role": "Senior Lecturer",
                "speakers-0-organisation": "Cambridge Judge Business School",
                "speakers-2-fellow_id": str(speaker_fellow.id),
            },
        ),
    )

    assert response.status_code == 302
    event, speakers, topics = _latest_event(app)
    assert response.headers["Location"] == f"/events/{event.id}"
    assert event.state == "draft" and event.created_by_id == organiser.id
    assert event.capacity is None and event.host_id == host.id and event.audience == "fellows"
    assert event.starts_at == datetime(2030, 10, 15, 11, 30, tzinfo=UTC)  # 12:30 BST
    assert speakers == [
        ("Dr Mark Thompson", "Senior Lecturer", "Cambridge Judge Business School", None),
        ("Grace Hopper", None, None, speaker_fellow.id),
    ]  # the blank middle row is ignored
    assert topics == ["Digital government"]
    page = text_of(client.get(f"/events/{event.id}"))
    assert "This is a draft" in page and "Publish" in page
    assert _changes(app, event.id) == []  # drafts have no audience, so no audit trail yet


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"title": ""}, "Enter a title"),
        ({"ends_at": "2030-10-15T12:00"}, "The end must be after the start"),
        ({"registration_closes_at": "2030-10-15T15:00"}, "Registration must close before the event ends"),
        (
            {"registration_opens_at": "2030-10-10T12:00", "registration_closes_at": "2030-10-09T12:00"},
            "Registration must open before it closes",
        ),
        ({"capacity": "-1"}, "Enter 0 or more"),
        ({"online_url": "javascript:alert(1)"}, "Enter a full web address"),
        ({"starts_at": "next tuesday"}, "Not a valid datetime value"),
        ({"speakers-0-role": "Professor"}, "Enter the speaker's name"),
    ],
)
def test_invalid_event_forms_are_refused_and_nothing_is_saved(app, make_organiser, login, overrides, message):
    from events.models import Event

    response = login(make_organiser()).post("/organiser/events/new", data=event_form(**overrides))

    assert response.status_code == 400
    assert message in text_of(response)
    assert "There is a problem" in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(Event)) is None


def test_publishing_a_draft_opens_it_and_records_it(app, make_organiser, make_fellow, make_event, login):
    organiser = make_organiser()
    event_id = make_event(state="draft")
    fellow_client = login(make_fellow())
    assert fellow_client.get(f"/events/{event_id}").status_code == 404
    client = login(organiser)

    assert client.post(f"/organiser/events/{event_id}/publish").status_code == 302

    event = get_event(app, event_id)
    assert event.state == "published" and event.published_at is not None
    assert _changes(app, event_id) == [(organiser.id, {"state": ["draft", "published"]}, "Published")]
    assert fellow_client.get(f"/events/{event_id}").status_code == 200
    again = client.post(f"/organiser/events/{event_id}/publish")
    assert again.status_code == 409 and "Only a draft can be published" in text_of(again)


def test_editing_time_and_place_of_a_published_event_is_recorded_bumps_sequence_and_emails(
    app, make_organiser, make_fellow, make_event, login, outbox
):
    organiser = make_organiser(name="Olivia Grant")
    event_id = make_event(
        title="Original title",
        capacity=1,
        starts_at=datetime(2030, 10, 15, 11, 30, tzinfo=UTC),
        ends_at=datetime(2030, 10, 15, 13, 0, tzinfo=UTC),
        venue_name="70 Whitehall",
    )
    confirmed, waiting = make_fellow(), make_fellow()
    login(confirmed).post(f"/events/{event_id}/book")
    login(waiting).post(f"/events/{event_id}/book")
    client = login(organiser)
    form = client.get(f"/organiser/events/{event_id}/edit")
    assert 'value="2030-10-15T12:30"' in form.get_data(as_text=True)  # shown in London time

    response = client.post(
        f"/organiser/events/{event_id}/edit",
        data=event_form(
            title="New title",
            starts_at="2030-10-15T13:30",
            ends_at="2030-10-15T15:00",
            venue_name="70 Whitehall",
            capacity="1",
            summary="",
            description="",
        ),
    )

    assert response.status_code == 302
    event = get_event(app, event_id)
    assert event.title == "New title" and event.starts_at == datetime(2030, 10, 15, 12, 30, tzinfo=UTC)
    assert event.sequence == 1
    [(user_id, changes, summary)] = _changes(app, event_id)
    assert user_id == organiser.id
    assert set(changes) >= {"title", "starts_at", "ends_at", "venue_address"}
    assert changes["title"] == ["Original title", "New title"]
    assert changes["starts_at"] == ["Tue 15 Oct 2030, 12:30", "Tue 15 Oct 2030, 13:30"]
    assert summary.startswith("Changed title")
    messages = outbox(kind="event_changed")
    assert sorted(m.user_id for m in messages) == sorted([confirmed.id, waiting.id])
    assert "13:30" in messages[0].text_body and "start" in messages[0].text_body
    history = text_of(client.get(f"/organiser/events/{event_id}/history"))
    assert "Olivia Grant" in history and "Original title → New title" in history


def test_editing_only_the_words_records_the_change_without_bumping_sequence_or_emailing(
    app, make_organiser, make_fellow, make_event, login, outbox
):
    event_id = make_event(
        starts_at=datetime(2030, 10, 15, 11, 30, tzinfo=UTC),
        ends_at=datetime(2030, 10, 15, 13, 0, tzinfo=UTC),
        venue_name="70 Whitehall",
        venue_address="London SW1A 2AS",
        capacity=3,
        title="Policy lunch: AI in the civil service",
        summary="A lunch discussion.",
        description="We will talk about **AI**.",
    )
    login(make_fellow()).post(f"/events/{event_id}/book")
    client = login(make_organiser())

    client.post(f"/organiser/events/{event_id}/edit", data=event_form(summary="A better summary."))

    assert get_event(app, event_id).sequence == 0
    [(_, changes, _)] = _changes(app, event_id)
    assert changes == {"summary": ["A lunch discussion.", "A better summary."]}
    assert outbox(kind="event_changed") == []
    unchanged = client.post(
        f"/organiser/events/{event_id}/edit", data=event_form(summary="A better summary."), follow_redirects=True
    )
    assert "Nothing was changed" in text_of(unchanged) and len(_changes(app, event_id)) == 1


def test_capacity_cannot_be_lowered_below_the_confirmed_places(app, make_organiser, make_fellow, make_event, login):
    event_id = make_event(
        capacity=3,
        starts_at=datetime(2030, 10, 15, 11, 30, tzinfo=UTC),
        ends_at=datetime(2030, 10, 15, 13, 0, tzinfo=UTC),
    )
    for _ in range(2):
        login(make_fellow()).post(f"/events/{event_id}/book")

    response = login(make_organiser()).post(f"/organiser/events/{event_id}/edit", data=event_form(capacity="1"))

    assert response.status_code == 400
    assert "The capacity cannot be lower than 2: 2 people already have a confirmed place" in text_of(response)
    assert get_event(app, event_id).capacity == 3
    assert set(bookings(app, event_id).values()) == {"confirmed"}


def test_cancelling_an_event_keeps_bookings_shows_the_reason_and_tells_everyone(
    app, make_organiser, make_fellow, make_event, login, outbox
):
    event_id = make_event(capacity=1, audience="public")
    confirmed, waiting = make_fellow(), make_fellow()
    login(confirmed).post(f"/events/{event_id}/book")
    login(waiting).post(f"/events/{event_id}/book")
    client = login(make_organiser())
    page = text_of(client.get(f"/organiser/events/{event_id}/cancel"))
    assert "2 people will be emailed: 1 with a confirmed place and 1 on the waitlist." in page

    missing = client.post(f"/organiser/events/{event_id}/cancel", data={"reason": "  "})
    assert missing.status_code == 400 and "Give a reason for cancelling" in text_of(missing)
    response = client.post(f"/organiser/events/{event_id}/cancel", data={"reason": "The speaker is unwell."})

    assert response.status_code == 302
    event = get_event(app, event_id)
    assert (event.state, event.cancellation_reason, event.sequence) == ("cancelled", "The speaker is unwell.", 1)
    assert bookings(app, event_id) == {confirmed.id: "confirmed", waiting.id: "waitlisted"}
    messages = outbox(kind="event_cancelled")
    assert sorted(m.user_id for m in messages) == sorted([confirmed.id, waiting.id])
    assert "The speaker is unwell." in messages[0].text_body
    page = app.test_client().get(f"/events/{event_id}")
    assert "This event has been cancelled" in text_of(page) and "The speaker is unwell." in text_of(page)
    ld = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', page.get_data(as_text=True), re.S).group(1)
    )
    assert ld["eventStatus"] == "https://schema.org/EventCancelled"
    assert login(waiting).post(f"/events/{event_id}/book").status_code == 409


def test_duplicating_makes_a_new_draft_with_the_same_details(app, make_organiser, make_event, login):
    from events.models import Event, Speaker

    event_id = make_event(title="Monthly lunch", capacity=12, topics=("AI policy",), venue_name="70 Whitehall")
    with app.app_context():
        db.session.add(Speaker(event_id=event_id, name="Ada Lovelace", honorific="Dr", position=0))
        db.session.commit()
    client = login(make_organiser())

    response = client.post(f"/organiser/events/{event_id}/duplicate")

    with app.app_context():
        original = db.session.get(Event, event_id)
        copy = db.session.scalar(select(Event).where(Event.id != event_id))
        assert response.headers["Location"] == f"/organiser/events/{copy.id}/edit"
        assert (copy.state, copy.title, copy.capacity, copy.venue_name) == (
            "draft",
            "Monthly lunch",
            12,
            "70 Whitehall",
        )
        assert [t.name for t in copy.topics] == ["AI policy"]
        assert [s.display_name for s in copy.speakers] == ["Dr Ada Lovelace"]
        assert copy.uid != original.uid and copy.bookings == []
        assert original.state == "published"


def test_only_drafts_can_be_deleted(app, make_organiser, make_event, login):
    from events.models import Event

    draft, published = make_event(state="draft"), make_event()
    client = login(make_organiser())

    assert client.post(f"/organiser/events/{draft}/delete").status_code == 302
    refused = client.post(f"/organiser/events/{published}/delete")

    assert refused.status_code == 409 and "cancel a published event instead" in text_of(refused)
    with app.app_context():
        assert db.session.get(Event, draft) is None and db.session.get(Event, published) is not None


def test_invitations_by_name_and_by_interest(app, make_organiser, make_fellow, make_event, login):
    from events.models import EventInvitation

    event_id = make_event(audience="invitation", capacity=10, title="Closed roundtable")
    chosen = make_fellow(name="Chosen Fellow")
    keen = make_fellow(interests=("Data and privacy",), name="Keen Fellow")
    make_fellow(interests=("Data and privacy",), fellow_status="alumni", name="Alumna")
    outsider = make_fellow(name="Not Invited")
    client = login(make_organiser())

    client.post(f"/organiser/events/{event_id}/invitations", data={"fellows": [str(chosen.id)]})
    tag = _tag_id(app, "Data and privacy")
    response = client.post(
        f"/organiser/events/{event_id}/invitations/interest", data={"tag_id": str(tag)}, follow_redirects=True
    )

    assert "1 fellow invited" in text_of(response)
    with app.app_context():
        invited = set(db.session.scalars(select(EventInvitation.user_id).where(EventInvitation.event_id == event_id)))
    assert invited == {chosen.id, keen.id}
    assert "Closed roundtable" in text_of(login(keen).get("/")).partition("You are invited")[2]
    outsider_page = text_of(login(outsider).get(f"/events/{event_id}"))
    assert "This event is by invitation only" in outsider_page and "Book a place" not in outsider_page
    empty = client.post(f"/organiser/events/{event_id}/invitations", data={})
    assert empty.status_code == 400 and "Choose at least one fellow" in text_of(empty)


def test_withdrawing_an_invitation_stops_the_fellow_booking(app, make_organiser, make_fellow, make_event, login):
    from events.models import EventInvitation

    event_id = make_event(audience="invitation")
    fellow = make_fellow()
    with app.app_context():
        invitation = EventInvitation(event_id=event_id, user_id=fellow.id)
        db.session.add(invitation)
        db.session.commit()
        invitation_id = invitation.id

    login(make_organiser()).post(f"/organiser/invitations/{invitation_id}/withdraw")

    assert login(fellow).post(f"/events/{event_id}/book").status_code == 409
    assert bookings(app, event_id) == {}


def test_an_invited_fellow_can_decline_and_the_organiser_sees_it(app, make_organiser, make_fellow, make_event, login):
    """Issue 27: the invited fellow says they cannot come; the organiser's invitations page counts and shows
    each answer; booking after all clears the decline; someone with a place is told to cancel instead."""
    from events.models import EventInvitation

    event_id = make_event(audience="invitation", capacity=10)
    ada, grace, alan = (
        make_fellow(name="Ada Lovelace"),
        make_fellow(name="Grace Hopper"),
        make_fellow(name="Alan Turing"),
    )
    with app.app_context():
        db.session.add_all([EventInvitation(event_id=event_id, user_id=f.id) for f in (ada, grace, alan)])
        db.session.commit()

    ada_client = login(ada)
    page = text_of(ada_client.get(f"/events/{event_id}"))
    assert "You are invited" in page and "Decline the invitation" in page
    declined = ada_client.post(f"/events/{event_id}/decline", follow_redirects=True)
    assert declined.status_code == 200 and "you have declined the invitation" in text_of(declined)
    assert "You declined this invitation" in text_of(declined) and "Decline the invitation" not in text_of(declined)
    assert ada_client.post(f"/events/{event_id}/decline").status_code == 302  # again: still declined, once

    grace_client = login(grace)
    assert grace_client.post(f"/events/{event_id}/book").status_code == 302
    refused = grace_client.post(f"/events/{event_id}/decline")
    assert refused.status_code == 409 and "cancel your booking instead" in text_of(refused)
    uninvited = login(make_fellow())
    assert uninvited.post(f"/events/{event_id}/decline").status_code == 409

    organiser = login(make_organiser())
    page = text_of(organiser.get(f"/organiser/events/{event_id}/invitations"))
    assert "Booked: 1 · On the waitlist: 0 · Declined: 1 · No answer yet: 1" in page
    rows = {name: page.split(name, 1)[1].split("Withdraw", 1)[0] for name in ("Ada Lovelace", "Alan Turing")}
    assert "Declined" in rows["Ada Lovelace"] and "No answer yet" in rows["Alan Turing"]

    assert ada_client.post(f"/events/{event_id}/book").status_code == 302  # she can come after all
    page = text_of(organiser.get(f"/organiser/events/{event_id}/invitations"))
    assert "Booked: 2 · On the waitlist: 0 · Declined: 0" in page


def test_invitations_are_refused_for_open_events(app, make_organiser, make_fellow, make_event, login):
    event_id = make_event(audience="fellows")
    fellow = make_fellow()
    response = login(make_organiser()).post(
        f"/organiser/events/{event_id}/invitations", data={"fellows": [str(fellow.id)]}
    )
    assert response.status_code == 409 and "Invitations are for invitation-only events" in text_of(response)


def test_the_description_is_rendered_as_safe_markdown(app, make_event, client):
    event_id = make_event(audience="public", description="**Bold** <script>alert(1)</script> [x](javascript:alert(1))")
    body = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "<strong>Bold</strong>" in body
    assert "<script>alert(1)</script>" not in body and 'href="javascript:' not in body
