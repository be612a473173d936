"""Issue 26 item 3: a rapid-response panel from question to published brief, in the browser. The organiser
opens a question, puts the expert matching proposes on the panel and asks it; the expert answers from the
emailed link in their own browser; the organiser compiles the brief, publishes it to the public after the
Chatham House check, and thanks the panel; a visitor reads the brief."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.browser.conftest import new_page, sign_in
from tests.conftest import PASSWORD, link_in

QUESTION = "What reduces loneliness among older people living alone?"


def test_a_panel_answers_a_rapid_question_and_its_brief_is_published(
    page, browser, live_server, make_organiser, make_expert, outbox
):
    organiser = make_organiser(name="Olive Organiser")
    make_expert(
        "Dr Maya Patel",
        email="maya@uni.example",
        department="Department of Public Health",
        biography="Studies social isolation in later life and community befriending schemes.",
        topics=("Ageing",),
    )
    make_expert("Dr Tom Reid", email="tom@uni.example", topics=("Housing",), biography="Planning law.")
    deadline = datetime.now(UTC).astimezone(ZoneInfo("Europe/London")).date() + timedelta(days=3)

    sign_in(page, organiser.email, PASSWORD)
    page.get_by_role("link", name="Rapid response").first.click()
    page.get_by_role("link", name="Open a question").click()
    page.get_by_label("The question").fill(QUESTION)
    page.get_by_label("Who is asking and why (optional)").fill("The Department of Health needs it for a briefing.")
    page.get_by_label("Ageing").check()
    page.get_by_label("Answers by (day)").fill(deadline.isoformat())
    page.get_by_label("Answers by (time)").fill("17:00")
    page.get_by_role("button", name="Open the question").click()
    expect(page.get_by_role("heading", name=QUESTION)).to_be_visible()

    proposed = page.locator("section[aria-labelledby=proposed]")
    expect(proposed).to_contain_text("Expertise in Ageing")
    proposed.get_by_label("Dr Maya Patel").check()
    proposed.get_by_role("button", name="Put on the panel").click()
    expect(page.get_by_role("status")).to_contain_text("1 expert added to the panel.")
    page.get_by_role("button", name="Ask the panel (1 expert)").click()
    expect(page.get_by_role("status")).to_contain_text("1 expert emailed.")

    (email,) = outbox(kind="panel_question")
    expert = new_page(browser, live_server)
    expert.goto(link_in(email, "/panel/"))
    expect(expert.get_by_role("heading", name="A rapid-response question")).to_be_visible()
    expect(expert.get_by_text(QUESTION)).to_be_visible()
    expert.get_by_role("textbox", name="Your answer").fill(
        "Befriending schemes and shared meals reduce reported loneliness."
    )
    expert.get_by_role("button", name="Send my answer").click()
    expect(expert.get_by_role("status")).to_contain_text("your answer has reached the organisers")
    expert.context.close()

    page.reload()
    answers = page.locator("section[aria-labelledby=answers]")
    expect(answers).to_contain_text("Befriending schemes and shared meals")
    page.get_by_role("button", name="Compile the brief").click()
    expect(page.get_by_label("Write-up")).to_contain_text("> Befriending schemes and shared meals")
    page.get_by_label("Public: anyone, including people who are not signed in").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("the note names no one on the panel.")).to_be_visible()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_contain_text("The note is published.")
    note_id = re.search(r"/notes/(\d+)", page.url).group(1)

    page.goto("/organiser/rapid")
    page.get_by_role("link", name=QUESTION).click()
    page.get_by_label("A line to add to the thanks (optional)").fill("Your evidence went into the briefing.")
    page.get_by_role("button", name="Thank the panel").click()
    expect(page.get_by_role("status")).to_contain_text("1 expert thanked.")
    (thanks,) = outbox(kind="panel_thanks")
    assert thanks.to_address == "maya@uni.example" and "went into the briefing" in thanks.text_body

    visitor = new_page(browser, live_server)
    visitor.goto(f"/notes/{note_id}")  # not signed in: the brief is public
    expect(visitor.get_by_text(f"Write-up of a rapid response: {QUESTION}")).to_be_visible()
    expect(visitor.get_by_text("Befriending schemes and shared meals reduce reported loneliness.")).to_be_visible()
    visitor.context.close()
