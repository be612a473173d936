"""A fellow signs in, edits their profile with a photo, and is found in the directory by a filter."""

import io

from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD


def test_fellow_edits_profile_and_is_found_in_directory(page, make_fellow, tmp_path):
    make_fellow(name="Other Person", sector="industry")
    fellow = make_fellow(name="Nadia Browser", sector="government", visibility="fellows")
    photo = tmp_path / "portrait.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (20, 90, 160)).save(buffer, format="JPEG")
    photo.write_bytes(buffer.getvalue())

    sign_in(page, fellow.email, PASSWORD)
    page.get_by_role("link", name="My profile").click()
    page.get_by_role("link", name="Edit your profile").click()
    page.get_by_label("Job title").fill("Head of Digital Policy")
    page.get_by_label("Organisation").fill("Government Digital Service")
    page.get_by_label("Sector").select_option("government")
    page.get_by_label("Biography").fill("Works on **shared platforms**.")
    page.get_by_label("Photo").set_input_files(str(photo))
    page.get_by_role("button", name="Save profile").click()

    page.get_by_text("Your profile has been saved.").wait_for()
    assert page.get_by_role("heading", name="Nadia Browser").is_visible()
    assert page.locator("strong", has_text="shared platforms").is_visible()
    assert page.locator("img.avatar").count() == 1

    page.get_by_role("link", name="Fellows", exact=True).first.click()
    page.get_by_label("Sector").select_option("government")
    page.get_by_role("button", name="Search").click()
    cards = page.locator("ul.cards > li")
    expect(cards).to_have_count(1)  # waits for the filtered page, as a person would
    assert "Nadia Browser" in cards.first.inner_text()
    assert "Government Digital Service" in cards.first.inner_text()


def test_error_summary_links_to_the_field(page, make_fellow):
    fellow = make_fellow()
    sign_in(page, fellow.email, PASSWORD)
    page.goto("/profile/edit")
    page.get_by_label("Full name").fill("")
    page.get_by_role("button", name="Save profile").click()
    summary = page.locator("[data-error-summary]")
    assert summary.is_visible()
    summary.get_by_role("link", name="Enter a name").click()
    assert page.evaluate("document.activeElement.id") == "name"
