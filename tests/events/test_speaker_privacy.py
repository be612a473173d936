"""Issue 13, defect 8: a speaker linked to a fellow's profile shows only what the organiser typed on the
event to everyone, and what comes from the profile only to those who may see the profile.

The rule (``events/speakers.py``): the speaker's name, role and affiliation typed on the event are public
with the event; the link to the profile follows the profile's visibility for the viewer, and the
profile's own job title, organisation and photo are never shown with the speaker. Calendar files and the
feeds are read as by an anonymous visitor. Checked as anonymous, fellow and organiser, for each
visibility, on the event page, its JSON-LD, the public iCalendar feed, the event's .ics and the Atom feed
of write-ups."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from extensions import db

PROFILE_DETAILS = ("Chief Hidden Officer", "Hidden Employer Ltd")
TYPED_DETAILS = ("Dr Grace Pemberton", "Panel chair", "Typed Affiliation Institute", "Quiet Speaker")
#: Who may see a profile of each visibility (core.permissions.can_view_profile).
SEES_PROFILE = {
    "public": {"anonymous", "fellow", "organiser"},
    "fellows": {"fellow", "organiser"},
    "organisers": {"organiser"},
}


@pytest.fixture
def public_event(app, make_event, make_fellow, make_organisation):
    """A public event whose two speakers are linked to fellows whose profiles have a job title and employer:
    one with a role and affiliation typed on the event, one with only a name."""
    from events.models import Speaker
    from writeups.models import Note

    employer = make_organisation("Hidden Employer Ltd")
    typed_affiliation = make_organisation("Typed Affiliation Institute", kind="university")
    profile = {"job_title": "Chief Hidden Officer", "organisation_id": employer.id}
    typed = make_fellow(name="Grace Pemberton", **profile)
    quiet = make_fellow(name="Quiet Speaker", **profile)
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
    event_id = make_event(title="Open seminar", audience="public", starts_at=starts)
    with app.app_context():
        db.session.add_all(
            [
                Speaker(
                    event_id=event_id,
                    position=0,
                    honorific="Dr",
                    name="Grace Pemberton",
                    role="Panel chair",
                    organisation_id=typed_affiliation.id,
                    fellow_id=typed.id,
                ),
                Speaker(event_id=event_id, position=1, name="Quiet Speaker", fellow_id=quiet.id),
                Note(
                    event_id=event_id,
                    title="Open seminar write-up",
                    summary="What was said.",
                    body="Discussion.",
                    state="published",
                    audience="public",
                    published_at=datetime.now(UTC),
                ),
            ]
        )
        db.session.commit()
    return {"id": event_id, "fellow_ids": (typed.id, quiet.id)}


def _set_visibility(app, fellow_ids, visibility: str) -> None:
    from fellows.models import User

    with app.app_context():
        for fellow_id in fellow_ids:
            db.session.get(User, fellow_id).visibility = visibility
        db.session.commit()


def _viewer(role, client, login, make_fellow, make_organiser):
    if role == "anonymous":
        return client
    return login(make_organiser() if role == "organiser" else make_fellow())


def _json_ld(html: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def _ics_description(data: bytes) -> str:
    events = icalendar.Calendar.from_ical(data).walk("VEVENT")
    return "\n".join(str(vevent["DESCRIPTION"]) for vevent in events if str(vevent["SUMMARY"]) == "Open seminar")


@pytest.mark.parametrize("visibility", sorted(SEES_PROFILE))
@pytest.mark.parametrize("role", ["anonymous", "fellow", "organiser"])
def test_the_event_page_shows_what_was_typed_and_links_a_profile_only_for_those_who_may_see_it(
    app, client, login, make_fellow, make_organiser, public_event, visibility, role
):
    _set_visibility(app, public_event["fellow_ids"], visibility)
    viewer = _viewer(role, client, login, make_fellow, make_organiser)

    response = viewer.get(f"/events/{public_event['id']}")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    for typed in TYPED_DETAILS:
        assert typed in page
    for detail in PROFILE_DETAILS:
        assert detail not in html  # neither on the page nor in its JSON-LD
    sees_profile = role in SEES_PROFILE[visibility]
    for fellow_id in public_event["fellow_ids"]:
        assert (f'href="/fellows/{fellow_id}"' in page) == sees_profile


@pytest.mark.parametrize("visibility", sorted(SEES_PROFILE))
@pytest.mark.parametrize("role", ["anonymous", "fellow", "organiser"])
def test_the_json_ld_performers_follow_the_same_rule(
    app, client, login, make_fellow, make_organiser, public_event, visibility, role
):
    _set_visibility(app, public_event["fellow_ids"], visibility)
    viewer = _viewer(role, client, login, make_fellow, make_organiser)

    performers = _json_ld(viewer.get(f"/events/{public_event['id']}").get_data(as_text=True))["performer"]

    typed_id, quiet_id = public_event["fellow_ids"]
    sees_profile = role in SEES_PROFILE[visibility]
    expected = [
        {
            "@type": "Person",
            "name": "Dr Grace Pemberton",
            "jobTitle": "Panel chair",
            "affiliation": {"@type": "Organization", "name": "Typed Affiliation Institute"},
            **({"url": f"http://localhost/fellows/{typed_id}"} if sees_profile else {}),
        },
        {
            "@type": "Person",
            "name": "Quiet Speaker",
            **({"url": f"http://localhost/fellows/{quiet_id}"} if sees_profile else {}),
        },
    ]
    assert performers == expected


@pytest.mark.parametrize("visibility", sorted(SEES_PROFILE))
@pytest.mark.parametrize("role", ["anonymous", "fellow", "organiser"])
def test_calendar_files_and_feeds_show_speakers_as_to_an_anonymous_visitor(
    app, client, login, make_fellow, make_organiser, public_event, visibility, role
):
    _set_visibility(app, public_event["fellow_ids"], visibility)
    viewer = _viewer(role, client, login, make_fellow, make_organiser)

    feed = viewer.get("/calendar.ics")
    one_event = viewer.get(f"/events/{public_event['id']}/event.ics")
    atom = viewer.get("/notes/feed.atom")

    assert feed.status_code == one_event.status_code == atom.status_code == 200
    for description in (_ics_description(feed.data), _ics_description(one_event.data)):
        assert "- Dr Grace Pemberton, Panel chair, Typed Affiliation Institute" in description
        assert "- Quiet Speaker\n" in description + "\n"
        for detail in PROFILE_DETAILS:
            assert detail not in description
        assert "/fellows/" not in description
    assert "Open seminar write-up" in atom.get_data(as_text=True)
    for detail in PROFILE_DETAILS:
        assert detail not in atom.get_data(as_text=True)


@pytest.mark.parametrize("visibility, warned", [("public", False), ("fellows", True), ("organisers", True)])
def test_publishing_tells_the_organiser_when_a_speaker_is_shown_more_widely_than_their_profile(
    app, make_event, make_fellow, make_organiser, login, visibility, warned
):
    """The rule makes what the organiser typed public with the event, so the organiser is told when
    that reaches more people than the fellow's own profile choice does."""
    from events.models import Speaker

    fellow = make_fellow(name="Farid Haddad", visibility=visibility)
    event_id = make_event(title="Net Zero and the Grid", audience="public", state="draft")
    with app.app_context():
        db.session.add(Speaker(event_id=event_id, position=0, name="Farid Haddad", role="Analyst", fellow_id=fellow.id))
        db.session.commit()

    page = login(make_organiser()).post(f"/organiser/events/{event_id}/publish", follow_redirects=True)

    text = page.get_data(as_text=True)
    assert "The event is published." in text
    assert ("Farid Haddad&#39;s profile is for" in text) is warned
