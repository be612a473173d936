"""An organiser schedules a lunch; fellows book, one is waitlisted and promoted when a place frees up."""

from datetime import datetime, timedelta

from playwright.sync_api import expect

from extensions import db
from tests.browser.conftest import new_page, sign_in
from tests.conftest import PASSWORD


def _fellow_page(browser, live_server, fellow):
    page = new_page(browser, live_server)
    sign_in(page, fellow.email, PASSWORD)
    return page


def test_lunch_fills_up_and_the_waitlist_moves(app, page, browser, live_server, make_organiser, make_fellow):
    organiser = make_organiser(name="Olivia Organiser")
    first, second, third = (make_fellow(name=n) for n in ("Fay First", "Sam Second", "Tom Third"))
    day = (datetime.now() + timedelta(days=21)).date()

    sign_in(page, organiser.email, PASSWORD)
    page.get_by_role("link", name="Manage events").click()
    page.get_by_role("link", name="New event").first.click()
    page.get_by_role("textbox", name="Title").fill("Lunch: Shared Platforms")
    page.get_by_label("Kind of event").select_option("lunch")
    page.get_by_label("Start").fill(f"{day}T12:30")
    page.get_by_label("End").fill(f"{day}T14:00")
    page.get_by_label("Venue", exact=True).fill("Policy Lab, 70 Whitehall")
    page.get_by_label("Capacity").fill("2")
    page.get_by_label("Fellows only").check()
    page.get_by_role("button", name="Save as draft").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("heading", name="Lunch: Shared Platforms")).to_be_visible()
    expect(page.get_by_text("12:30")).not_to_have_count(0)
    event_url = page.url

    pages = {}
    for fellow in (first, second, third):
        fellow_page = _fellow_page(browser, live_server, fellow)
        fellow_page.goto(event_url)
        pages[fellow.name] = fellow_page
    # Fay tells the caterer she is vegetarian.
    fay = pages["Fay First"]
    fay.get_by_text("Dietary requirements, access needs or a comment").click()
    fay.get_by_label("Dietary requirements").fill("Vegetarian")
    fay.get_by_role("button", name="Book a place").click()
    expect(fay.get_by_text("You have a confirmed place")).to_be_visible()
    pages["Sam Second"].get_by_role("button", name="Book a place").click()
    expect(pages["Sam Second"].get_by_text("You have a confirmed place")).to_be_visible()
    tom = pages["Tom Third"]
    tom.reload()
    tom.get_by_role("button", name="Join the waitlist").click()
    expect(tom.get_by_text("Waitlist · position 1")).to_be_visible()

    # Fay cancels (after confirming the question); Tom moves up from the waitlist.
    fay.on("dialog", lambda dialog: dialog.accept())
    fay.get_by_role("button", name="Cancel my booking").click()
    expect(
        fay.get_by_role("button", name="Book a place").or_(fay.get_by_role("button", name="Join the waitlist"))
    ).to_be_visible()
    tom.reload()
    expect(tom.get_by_text("You have a confirmed place")).to_be_visible()

    # The organiser sees numbers for the caterer and the names on the attendee list.
    page.goto(event_url)
    page.get_by_role("link", name="Attendees").click()
    expect(page.get_by_text("Sam Second")).not_to_have_count(0)
    expect(page.get_by_text("Tom Third")).not_to_have_count(0)

    with app.app_context():
        from events.models import Booking

        states = {b.user.name: b.state for b in db.session.scalars(db.select(Booking))}
    assert states == {"Fay First": "cancelled", "Sam Second": "confirmed", "Tom Third": "confirmed"}
