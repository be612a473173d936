"""Phones and narrow windows, on the demo data: the navigation folds into a menu that works without JavaScript,
the header stays small, and no main page scrolls sideways at 320 px. The role home pages are saved as screenshots
at 1280 and 375 px (test-artifacts/screenshots/layout/)."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from fellows.demo import DEMO_PASSWORD, FELLOW_EMAIL, ORGANISER_EMAIL
from tests.browser.conftest import new_page, sign_in
from tests.browser.support import screenshots

# What the widest elements are, when a page is too wide: the first few whose right edge passes the window's.
TOO_WIDE = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
  .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ').join('.') : '')
    + ' (' + Math.round(e.getBoundingClientRect().right) + ' px)')"""


def demo_ids(app, runner) -> dict[str, int]:
    """Load the demo data; the 2016 lunch (it has a public write-up and bookings) and its write-up."""
    from writeups.models import Note

    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        note = db.session.scalars(select(Note).where(Note.title.startswith("A national grid for government?"))).one()
        return {"event": note.event_id, "note": note.id}


def test_no_page_scrolls_sideways_at_320_px(app, runner, page):
    ids = demo_ids(app, runner)
    fellow_pages = ["/", "/events", f"/events/{ids['event']}", "/notes", f"/notes/{ids['note']}", "/fellows"]
    fellow_pages.append("/my/bookings")
    organiser_pages = [*fellow_pages, "/organiser/events", f"/organiser/events/{ids['event']}/attendees"]
    page.set_viewport_size({"width": 320, "height": 640})
    too_wide = []
    for email, paths in ((FELLOW_EMAIL, fellow_pages), (ORGANISER_EMAIL, organiser_pages)):
        sign_in(page, email, DEMO_PASSWORD)
        for path in paths:
            page.goto(path)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 320:
                too_wide.append(f"{email} {path}: {width} px wide: {', '.join(page.evaluate(TOO_WIDE))}")
        page.context.clear_cookies()
    assert not too_wide, "pages wider than 320 px:\n" + "\n".join(too_wide)


def test_menu_folds_on_phones_without_javascript(app, runner, browser, live_server):
    demo_ids(app, runner)
    heights = {}
    for who, email in (("signed out", None), ("fellow", FELLOW_EMAIL), ("organiser", ORGANISER_EMAIL)):
        page = new_page(browser, live_server, java_script_enabled=False)
        if email:
            sign_in(page, email, DEMO_PASSWORD)
        page.goto("/events")
        header = page.locator("header.site-header")
        main_nav = page.get_by_role("navigation", name="Main")
        organiser_nav = page.locator("nav.organiser-nav")
        menu = header.locator("summary", has_text="Menu")

        page.set_viewport_size({"width": 1280, "height": 800})
        expect(menu).to_be_hidden()
        expect(main_nav.get_by_role("link", name="Events")).to_be_visible()
        expect(main_nav.get_by_role("link", name="Write-ups")).to_be_visible()
        if who == "organiser":
            expect(organiser_nav.get_by_role("link", name="Manage events")).to_be_visible()

        page.set_viewport_size({"width": 375, "height": 700})
        expect(menu).to_be_visible()
        expect(page.locator("nav.main-nav a").first).to_be_hidden()
        heights[who] = header.bounding_box()["height"]
        menu.click()
        expect(main_nav.get_by_role("link", name="Write-ups")).to_be_visible()
        if who == "organiser":
            expect(organiser_nav.get_by_role("link", name="Manage events")).to_be_visible()
        account = "Sign out" if email else "Sign in"
        expect(header.get_by_role("button" if email else "link", name=account)).to_be_visible()
        menu.click()
        expect(page.locator("nav.main-nav a").first).to_be_hidden()
        page.context.close()
    assert all(height < 100 for height in heights.values()), heights


def test_home_pages_by_role_at_1280_and_375_px(app, runner, page):
    """Each role's home page shows its own first section at both widths (and is saved as screenshots)."""
    demo_ids(app, runner)
    page.goto("/")
    screenshots(page, "layout", "home_signed_out")
    for role, email, section in (
        ("fellow", FELLOW_EMAIL, "#home-bookings"),
        ("organiser", ORGANISER_EMAIL, "#home-drafts"),
    ):
        sign_in(page, email, DEMO_PASSWORD)
        page.goto("/")
        for width in (1280, 375):
            page.set_viewport_size({"width": width, "height": 800})
            expect(page.locator(section)).to_be_visible()
        screenshots(page, "layout", f"home_{role}")
        page.context.clear_cookies()


def test_the_directory_shows_its_first_fellow_without_scrolling_on_a_phone(app, runner, page):
    demo_ids(app, runner)
    sign_in(page, FELLOW_EMAIL, DEMO_PASSWORD)
    page.set_viewport_size({"width": 375, "height": 667})
    page.goto("/fellows")
    first = page.locator(".cards .card").first
    assert first.bounding_box()["y"] < 667, "the filters push the first fellow below the fold"
    expect(page.get_by_label("Sector")).to_be_hidden()
    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Sector").select_option(index=1)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_label("Sector")).to_be_visible()  # a filter in use keeps them open
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/fellows")
    expect(page.get_by_label("Policy interest", exact=True)).to_be_visible()


def test_a_typed_password_can_be_shown_and_is_hidden_again_to_send(page):
    """ASVS 2.1.12: site.js adds a "Show password" button after each password field (none without script)."""
    page.goto("/login")
    field = page.get_by_label("Password", exact=True)
    field.fill("what I typed")
    toggle = page.get_by_role("button", name="Show password")
    expect(field).to_have_attribute("type", "password")
    toggle.click()
    expect(field).to_have_attribute("type", "text")
    expect(page.get_by_role("button", name="Hide password")).to_be_visible()
    page.get_by_role("button", name="Hide password").click()
    expect(field).to_have_attribute("type", "password")
    page.get_by_role("button", name="Show password").click()
    page.get_by_label("Email address").fill("nobody@example.org")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_label("Password", exact=True)).to_have_attribute("type", "password")
