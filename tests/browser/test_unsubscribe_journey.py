"""Issue 27 (3): the unsubscribe link of a real announcement, opened in a browser that is not signed in
(as from a mail client): a page with a button, the button stops those emails, the link opened again says
they are off, and the fellow's account page shows the choice."""

from playwright.sync_api import expect

from events.models import Event
from events.notifications import announce_event
from extensions import db
from fellows.models import User
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD, link_in


def test_a_fellow_stops_announcements_from_the_emails_link_without_signing_in(
    app, page, make_fellow, make_event, outbox
):
    fellow = make_fellow(name="Nadia Keen", interests=("Energy",), notify_new_events=True)
    event_id = make_event(title="Grid futures", topics=("Energy",))
    with app.app_context():
        assert announce_event(db.session.get(Event, event_id)) == 1
        db.session.commit()
    [announcement] = outbox(kind="event_announcement")
    path = link_in(announcement, "/unsubscribe/")

    page.goto(path)
    expect(page.get_by_role("heading", name="Stop these emails")).to_be_visible()
    expect(
        page.get_by_text(f"Stop emails about new events that match your interests to {fellow.email}?")
    ).to_be_visible()
    with app.app_context():
        assert db.session.get(User, fellow.id).notify_new_events is True  # opening the page changes nothing
    page.get_by_role("button", name="Stop these emails").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"Done: emails about new events that match your interests will no longer be sent to {fellow.email}"
    )
    with app.app_context():
        assert db.session.get(User, fellow.id).notify_new_events is False

    page.goto(path)  # the same link again, later
    expect(page.get_by_text("Emails about new events that match your interests are already off")).to_be_visible()
    expect(page.get_by_role("button", name="Stop these emails")).to_have_count(0)

    sign_in(page, fellow.email, PASSWORD)
    page.goto("/account")
    expect(
        page.get_by_label("An email when a new event on one of my policy interests is published")
    ).not_to_be_checked()
