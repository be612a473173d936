"""The event page: what it shows, where names link to, and its schema.org JSON-LD."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from extensions import db
from tests.events_helpers import text_of


def _json_ld(response) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', response.get_data(as_text=True), re.S)
    return json.loads(match.group(1))


@pytest.fixture
def seminar(app, make_event, make_organisation, make_fellow):
    """A public hybrid seminar hosted by an organisation, with an outside speaker and a fellow speaker."""
    from events.models import Speaker

    host = make_organisation("Cambridge Judge Business School", kind="university", website="https://www.jbs.cam.ac.uk")
    speaker_fellow = make_fellow(name="Grace Pemberton", visibility="organisers")
    event_id = make_event(
        title="Seminar </script><script>alert(1)</script>",
        kind="seminar",
        audience="public",
        capacity=2,
        starts_at=datetime(2030, 6, 3, 16, 0, tzinfo=UTC),
        ends_at=datetime(2030, 6, 3, 17, 30, tzinfo=UTC),
        venue_name="Judge Lecture Theatre",
        venue_address="Trumpington Street, Cambridge",
        online_url="https://meet.example.org/seminar",
        host_id=host.id,
        topics=("Innovation policy",),
        summary="Platforms and the state.",
    )
    with app.app_context():
        db.session.add_all(
            [
                Speaker(
                    event_id=event_id,
                    position=0,
                    honorific="Dr",
                    name="Mark Thompson",
                    role="Senior Lecturer",
                    organisation_id=host.id,
                ),
                Speaker(event_id=event_id, position=1, name="Grace Pemberton", fellow_id=speaker_fellow.id),
            ]
        )
        db.session.commit()
    return {"id": event_id, "host": host, "speaker_fellow": speaker_fellow}


def test_the_page_shows_time_place_host_speakers_and_places(seminar, make_fellow, login, client):
    event_id = seminar["id"]
    for _ in range(3):
        login(make_fellow()).post(f"/events/{event_id}/book")

    page = text_of(client.get(f"/events/{event_id}"))

    assert "Mon 3 Jun 2030, 17:00–18:30" in page
    assert "Judge Lecture Theatre" in page and "Trumpington Street, Cambridge" in page
    assert "meet.example.org" not in page  # the joining link is for people with a place
    assert "Online: the joining link is shown here to people with a place" in page
    assert "Hosted by Cambridge Judge Business School" in page
    assert "2 in total · 0 left · 1 on the waitlist" in page
    assert "Dr Mark Thompson" in page and "Innovation policy" in page


def test_only_people_with_a_place_and_organisers_see_the_joining_link(
    seminar, make_fellow, make_organiser, login, client
):
    event_id = seminar["id"]  # capacity 2
    first, second, third = (login(make_fellow()) for _ in range(3))
    for fellow in (first, second, third):
        fellow.post(f"/events/{event_id}/book")
    assert "https://meet.example.org/seminar" in text_of(first.get(f"/events/{event_id}"))
    assert "meet.example.org" not in text_of(third.get(f"/events/{event_id}"))  # waitlisted
    assert "meet.example.org" not in text_of(client.get(f"/events/{event_id}"))  # anonymous
    assert "https://meet.example.org/seminar" in text_of(login(make_organiser()).get(f"/events/{event_id}"))


def test_json_ld_describes_the_event_for_search_engines(seminar, client):
    response = client.get(f"/events/{seminar['id']}")
    ld = _json_ld(response)

    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)
    assert ld["@type"] == "Event" and ld["name"] == "Seminar </script><script>alert(1)</script>"
    assert ld["startDate"] == "2030-06-03T17:00:00+01:00" and ld["endDate"] == "2030-06-03T18:30:00+01:00"
    assert ld["eventStatus"] == "https://schema.org/EventScheduled"
    assert ld["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    assert ld["location"] == [
        {"@type": "Place", "name": "Judge Lecture Theatre", "address": "Trumpington Street, Cambridge"},
        {"@type": "VirtualLocation", "url": "http://localhost/events/" + str(seminar["id"])},
    ]
    assert ld["organizer"] == {
        "@type": "Organization",
        "name": "Cambridge Judge Business School",
        "url": "https://www.jbs.cam.ac.uk",
    }
    assert ld["performer"][0] == {
        "@type": "Person",
        "name": "Dr Mark Thompson",
        "jobTitle": "Senior Lecturer",
        "affiliation": {
            "@type": "Organization",
            "name": "Cambridge Judge Business School",
            "url": "https://www.jbs.cam.ac.uk",
        },
    }
    assert ld["url"].endswith(f"/events/{seminar['id']}") and ld["maximumAttendeeCapacity"] == 2
    assert ld["description"] == "Platforms and the state."


@pytest.mark.parametrize(
    "visibility, viewer, linked",
    [
        ("organisers", "fellow", False),
        ("organisers", "organiser", True),
        ("fellows", "anonymous", False),
        ("fellows", "fellow", True),
        ("public", "anonymous", True),
    ],
)
def test_a_speaker_links_to_a_fellows_profile_only_for_those_who_may_see_it(
    app, seminar, make_fellow, make_organiser, login, client, visibility, viewer, linked
):
    from fellows.models import User

    fellow_id = seminar["speaker_fellow"].id
    with app.app_context():
        db.session.get(User, fellow_id).visibility = visibility
        db.session.commit()
    browser = {"anonymous": client, "fellow": None, "organiser": None}[viewer] or login(
        make_fellow() if viewer == "fellow" else make_organiser()
    )

    body = browser.get(f"/events/{seminar['id']}").get_data(as_text=True)

    assert "Grace Pemberton" in body
    assert (f'href="/fellows/{fellow_id}"' in body) == linked


def test_host_and_affiliations_link_to_the_organisation_page_for_signed_in_people(seminar, make_fellow, login, client):
    host_id = seminar["host"].id
    signed_in = login(make_fellow()).get(f"/events/{seminar['id']}").get_data(as_text=True)
    anonymous = client.get(f"/events/{seminar['id']}").get_data(as_text=True)

    assert f'href="/organisations/{host_id}"' in signed_in
    assert f'href="/organisations/{host_id}"' not in anonymous  # that page needs a sign-in
    assert 'href="https://www.jbs.cam.ac.uk"' in anonymous
    assert f'href="/events?host={host_id}"' in anonymous
