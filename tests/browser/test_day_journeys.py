"""Browser journeys for issue 11's new pages and the programme's (each page is checked by axe on load):
an organiser messages an event's bookers from its attendee page; checks people in at the door; plans a
visit's timetable that the fellow then reads as an itinerary, and an expert answers by private link; and
issue 10's whole programme journey, from the long list to the fellow's calendar feed."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import select

from core.models import OutboxMessage
from extensions import db
from fellows.demo import DEMO_PASSWORD, FELLOW_EMAIL, ORGANISER_EMAIL
from tests.browser.conftest import new_page, sign_in
from tests.browser.support import screenshots
from tests.conftest import PASSWORD, link_in


def test_organiser_messages_the_confirmed_bookers_after_a_preview(app, page, make_organiser, make_fellow, make_event):
    organiser = make_organiser()
    fellows = [make_fellow(name=name) for name in ("Ada Lovelace", "Grace Hopper")]
    event_id = make_event(title="Data lunch", capacity=5)
    with app.app_context():
        from events.models import Booking

        db.session.add_all(Booking(event_id=event_id, user_id=f.id, state="confirmed") for f in fellows)
        db.session.commit()
    sign_in(page, organiser.email, PASSWORD)
    page.goto("/")
    expect(page.get_by_role("heading", name="Upcoming events")).to_be_visible()
    page.goto(f"/organiser/events/{event_id}/attendees")
    page.get_by_role("link", name="Message attendees").click()
    page.get_by_label("Subject").fill("Room change")
    page.get_by_label("Message").fill("We are now in the Council Room.")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("button", name="Send to 2 people")).to_be_visible()
    screenshots(page, "messages", "preview")
    page.get_by_role("button", name="Send to 2 people").click()
    expect(page.get_by_text("Room change")).to_be_visible()
    with app.app_context():
        sent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.subject.contains("Room change"))).all()
    assert sorted(m.to_address for m in sent) == sorted(f.email for f in fellows)


def test_organiser_checks_people_in_at_the_door(app, page, make_organiser, make_fellow, make_event):
    organiser = make_organiser()
    fellows = [make_fellow(name=name) for name in ("Ada Lovelace", "Grace Hopper")]
    london = ZoneInfo("Europe/London")
    today = datetime.now(london).replace(hour=0, minute=1, second=0, microsecond=0)  # the same day whenever it runs
    event_id = make_event(title="Breakfast roundtable", starts_at=today.astimezone(UTC))
    with app.app_context():
        from events.models import Booking

        db.session.add_all(Booking(event_id=event_id, user_id=f.id, state="confirmed") for f in fellows)
        db.session.commit()
    sign_in(page, organiser.email, PASSWORD)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"/organiser/events/{event_id}/check-in")
    expect(page.locator("#count")).to_have_text("Checked in 0 of 2")
    page.get_by_label("Find by name").fill("grace")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name="Check in for Grace Hopper").click()
    expect(page.locator("#count")).to_have_text("Checked in 1 of 2")
    screenshots(page, "check-in", "after-one")
    page.get_by_role("button", name="Undo for Grace Hopper").click()
    expect(page.locator("#count")).to_have_text("Checked in 0 of 2")


def test_visit_timetable_itinerary_and_an_experts_answer(app, runner, browser, live_server, page):
    from programmes.models import ExpertInvitation, VisitProgramme

    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        # Amelia's coming visit (the demo also has her first one, months ago)
        visit_id = db.session.scalar(select(VisitProgramme.id).order_by(VisitProgramme.starts_on.desc()))
        waiting = db.session.scalars(
            select(ExpertInvitation).where(
                ExpertInvitation.programme_id == visit_id, ExpertInvitation.status == "invited"
            )
        ).first()
        waiting.token_hash = ExpertInvitation.hash("an-experts-private-link-for-the-journey")
        db.session.commit()
    expert = new_page(browser, live_server)  # no account: the private link is the key
    expert.goto("/expert/an-experts-private-link-for-the-journey")
    expect(expert.get_by_role("heading", name="What we keep about you, and why")).to_be_visible()
    expert.get_by_label("Yes, I can meet").check()
    expert.locator("input[name=available]").nth(2).check()
    expert.get_by_role("button", name="Send my answer").click()
    expect(expert.get_by_text("Thank you")).to_be_visible()

    sign_in(page, ORGANISER_EMAIL, DEMO_PASSWORD)
    page.goto(f"/organiser/visits/{visit_id}")
    expect(page.get_by_role("heading", name="Suggested experts")).to_be_visible()
    page.get_by_role("link", name="Timetable").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Solve the timetable").click()
    expect(page.get_by_text("2 meetings in the timetable")).to_be_visible()
    screenshots(page, "programme", "timetable")
    page.goto("/organiser/programme-dashboard")
    expect(page.get_by_role("heading", name="By fellow")).to_be_visible()

    fellow = new_page(browser, live_server)
    sign_in(fellow, FELLOW_EMAIL, DEMO_PASSWORD)
    fellow.get_by_role("link", name="Your itinerary").click()
    expect(fellow.locator(".itinerary > li")).to_have_count(2)
    screenshots(fellow, "programme", "itinerary")


def test_programme_long_list_two_expert_answers_timetable_itinerary_and_feed(
    app, runner, browser, live_server, page, outbox
):
    """Issue 10's journey on the demo's coming visit: the organiser adds a suggested expert to the long
    list and invites the list; two experts answer by their emailed links (one accepts, one declines);
    the organiser solves the timetable; the fellow reads the itinerary and subscribes to her calendar feed,
    which carries the new meeting."""
    from programmes.models import Expert, ExpertInvitation, VisitProgramme

    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        visit_id = db.session.scalar(select(VisitProgramme.id).order_by(VisitProgramme.starts_on.desc()))
        listed_before = db.session.scalar(
            select(db.func.count(ExpertInvitation.id)).where(
                ExpertInvitation.programme_id == visit_id, ExpertInvitation.status == "listed"
            )
        )

    sign_in(page, ORGANISER_EMAIL, DEMO_PASSWORD)
    page.goto(f"/organiser/visits/{visit_id}")
    suggestion = page.locator("ol.suggestions > li").first
    chosen = suggestion.locator("strong").inner_text()
    suggestion.get_by_role("button", name="Add to the long list").click()
    expect(page.get_by_role("table").get_by_text(chosen)).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    # The demo's visit wants two meetings about its first question: the button sends what the targets want
    # (here everyone listed, as the question's shortlist holds no more than two at 2×).
    page.get_by_role("button", name="Send the invitations the targets want").click()
    expect(page.get_by_text("Invited, no reply").first).to_be_visible()

    invitations = outbox(kind="expert_invitation")
    assert len(invitations) == listed_before + 1
    with app.app_context():
        chosen_email = db.session.scalar(select(Expert.email).where(Expert.name == chosen))
    accepting = next(m for m in invitations if m.to_address == chosen_email)
    declining = next(m for m in invitations if m.to_address != chosen_email)

    expert = new_page(browser, live_server)
    expert.goto(link_in(accepting, "/expert/"))
    # The link's secret leaves the address bar (and history) at once: the page is at a clean address.
    assert re.search(r"/expert/invitations/\d+$", expert.url), expert.url
    expert.get_by_label("Yes, I can meet").check()
    expert.locator("input[name=available]").first.check()
    expert.get_by_role("button", name="Send my answer").click()
    expect(expert.get_by_text("Thank you")).to_be_visible()
    other = new_page(browser, live_server)
    other.goto(link_in(declining, "/expert/"))
    other.get_by_label("No, I can't this time").check()
    other.get_by_role("button", name="Send my answer").click()
    expect(other.get_by_text("Thank you")).to_be_visible()

    page.goto(f"/organiser/visits/{visit_id}/timetable")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Solve the timetable").click()
    expect(page.get_by_text("2 meetings in the timetable")).to_be_visible()

    fellow = new_page(browser, live_server)
    sign_in(fellow, FELLOW_EMAIL, DEMO_PASSWORD)
    fellow.get_by_role("link", name="Your itinerary").click()
    expect(fellow.locator(".itinerary > li")).to_have_count(2)
    expect(fellow.locator(".itinerary").get_by_text(chosen)).to_be_visible()
    fellow.goto("/my/calendar")
    fellow.get_by_role("button", name="Make my calendar address").click()
    expect(fellow.get_by_text("shown only this once").first).to_be_visible()
    feed_url = fellow.locator("#personal-feed").input_value()
    assert (
        fellow.get_by_role("link", name="Subscribe in your calendar app").get_attribute("href").startswith("webcal://")
    )
    feed = fellow.request.get(feed_url)
    assert feed.ok and feed.headers["content-type"].startswith("text/calendar")
    assert chosen in feed.text().replace("\r\n ", "")
