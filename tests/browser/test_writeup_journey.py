"""A visitor finds the 2016 policy lunch among past events and reads its public write-up."""

from playwright.sync_api import expect


def test_visitor_reads_the_seed_write_up_from_its_event_page(page, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0

    page.goto("/events")
    page.get_by_role("link", name="See past events").click()
    page.get_by_role("link", name="Public Service Transformation: What's Next?").click()
    expect(page.get_by_text("Dr Mark Thompson").first).to_be_visible()
    expect(page.get_by_text("Cambridge Judge Business School").first).to_be_visible()

    write_ups = page.get_by_role("heading", name="Write-ups")
    expect(write_ups).to_be_visible()
    # The fellows-only note is not offered to a visitor who is not signed in.
    expect(page.get_by_text("For fellows: follow-ups")).to_have_count(0)
    page.get_by_role("link", name="A national grid for government?").click()
    expect(page.get_by_text("Held under the Chatham House Rule.", exact=True)).to_be_visible()
    expect(page.get_by_text("Image: tablet use 1 (flickr)")).to_be_visible()
    expect(page.get_by_role("heading", name="Further reading")).to_be_visible()
