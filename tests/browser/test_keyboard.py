"""A fellow who uses only the keyboard signs in, books a place, cancels it and reads a write-up: no clicks, only
Tab, Enter, Space and typing; and wherever focus lands, it can be seen (an outline or a box-shadow)."""

from __future__ import annotations

from playwright.sync_api import expect

from extensions import db
from fellows.demo import DEMO_PASSWORD, FELLOW_EMAIL

# The focused element, how it names itself, and whether its focus can be seen.
FOCUSED = """() => {
  const e = document.activeElement;
  const style = getComputedStyle(e);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow !== 'none';
  return {tag: e.tagName.toLowerCase(), id: e.id, type: e.type || '',
          name: (e.getAttribute('aria-label') || e.innerText || e.value || '').trim().replace(/\\s+/g, ' '),
          visible: outline || shadow};
}"""


class Keyboard:
    """Tabs through a page like a person who cannot use a mouse, noting every element focus lands on."""

    def __init__(self, page):
        self.page = page
        self.seen: list[dict] = []

    def tab_to(self, matches, *, limit: int = 80) -> dict:
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            focused = self.page.evaluate(FOCUSED)
            self.seen.append(focused)
            if matches(focused):
                return focused
        raise AssertionError(f"{limit} presses of Tab never reached the element; last: {self.seen[-5:]}")

    def tab_to_named(self, tag: str, name: str) -> dict:
        return self.tab_to(lambda f: f["tag"] == tag and f["name"].startswith(name))


def test_keyboard_only_fellow_books_cancels_and_reads_a_write_up(app, runner, page, make_event):
    assert runner.invoke(args=["demo"]).exit_code == 0
    event_id = make_event(title="Keyboard Lunch: Accessible Services", capacity=10)
    keys = Keyboard(page)
    page.on("dialog", lambda dialog: dialog.accept())  # "Cancel your booking?": the browser's own question

    page.goto("/login")
    keys.tab_to(lambda f: f["id"] == "email")
    page.keyboard.type(FELLOW_EMAIL)
    keys.tab_to(lambda f: f["id"] == "password")
    page.keyboard.type(DEMO_PASSWORD)
    keys.tab_to_named("button", "Sign in")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Welcome, Dr Amelia Hart")).to_be_visible()

    keys.tab_to_named("a", "Events")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Upcoming events")).to_be_visible()
    keys.tab_to_named("a", "Keyboard Lunch: Accessible Services")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Keyboard Lunch: Accessible Services")).to_be_visible()

    keys.tab_to_named("button", "Book a place")
    page.keyboard.press("Space")
    expect(page.get_by_text("You have a confirmed place")).to_be_visible()
    keys.tab_to_named("button", "Cancel my booking")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Book a place")).to_be_visible()

    keys.tab_to_named("a", "Write-ups")
    page.keyboard.press("Enter")
    page.wait_for_url("**/notes")
    keys.tab_to_named("a", "A national grid for government?")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Held under the Chatham House Rule.", exact=True)).to_be_visible()

    with app.app_context():
        from events.models import Booking

        states = db.session.scalars(db.select(Booking.state).filter_by(event_id=event_id)).all()
    assert states == ["cancelled"]
    # Focus was visible on every element it landed on: links, buttons and inputs alike.
    hidden = [f for f in keys.seen if not f["visible"]]
    assert not hidden, f"focus not visible on: {hidden}"
    kinds = {f["tag"] for f in keys.seen}
    assert {"a", "button", "input"} <= kinds, kinds
