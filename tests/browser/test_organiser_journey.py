"""The organiser's journeys through a real browser: inviting a fellow who then completes their profile and is
found in the directory, approving a request to join, and importing fellows from a CSV file.

The main pages are saved as screenshots at 1280 and 375 px (test-artifacts/screenshots/<journey>/), so a person
can look at what the test saw.
"""

from __future__ import annotations

import io

from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from tests.browser.conftest import new_page, sign_in
from tests.browser.support import screenshots
from tests.conftest import PASSWORD, link_in

NEW_PASSWORD = "lantern orchard pebble river"


def shot(page, name: str) -> None:
    screenshots(page, "organiser", name)


def organiser_nav(page):
    return page.get_by_role("navigation", name="Organiser")


def jpeg(tmp_path, name: str = "portrait.jpg"):
    path = tmp_path / name
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1200), (180, 60, 40)).save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def user_by_email(app, email: str):
    from fellows.models import User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            _ = (user.interests, user.organisation, user.photo)  # load before the session closes
            db.session.expunge_all()
        return user


def invitation_link(outbox, email: str) -> str:
    messages = outbox(kind="invitation", to_address=email)
    assert len(messages) == 1, [m.to_address for m in outbox()]
    return link_in(messages[0], "/invitation/")


def accept_invitation(page, link: str, name: str) -> None:
    """The invited person opens the emailed link, chooses a password and lands on their profile editor."""
    page.goto(link)
    expect(page.get_by_role("heading", name="Join the Policy Fellowship")).to_be_visible()
    expect(page.get_by_text(f"Welcome, {name}.")).to_be_visible()
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("Confirm the password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Join").click()  # without agreeing to the privacy notice: refused
    expect(page.get_by_text("Tick the box to agree to the privacy notice").first).to_be_visible()
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("Confirm the password").fill(NEW_PASSWORD)
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_label("A reminder the day before an event").check()
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("heading", name="Edit your profile")).to_be_visible()
    expect(page.get_by_text("Welcome! Your account is ready.")).to_be_visible()


def test_organiser_invites_a_fellow_who_completes_their_profile_and_is_found(
    app, browser, live_server, page, make_organiser, make_fellow, outbox, tmp_path
):
    organiser = make_organiser(name="Olivia Organiser")
    # The shared vocabulary already holds these topics (another fellow uses them).
    make_fellow(name="Other Fellow", sector="industry", interests=("AI policy", "Digital government"))
    email = "priya.shah@example.gov.uk"

    page.goto("/login")
    shot(page, "login")
    sign_in(page, organiser.email, PASSWORD)
    organiser_nav(page).get_by_role("link", name="Fellows", exact=True).click()
    expect(page.get_by_role("heading", name="All fellows")).to_be_visible()
    shot(page, "organiser_fellows")

    page.get_by_role("link", name="Invite a fellow").click()
    expect(page.get_by_role("heading", name="Invite a fellow")).to_be_visible()
    page.get_by_label("Full name").fill("Priya Shah")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Organisation").fill("Policy Lab, Cabinet Office")
    page.get_by_label("Sector").select_option(label="Government")
    page.get_by_label("Cohort").fill("2023")
    shot(page, "invite")
    page.get_by_role("button", name="Send the invitation").click()

    expect(page.get_by_text(f"Invitation sent to {email}.")).to_be_visible()
    expect(page.get_by_role("heading", name="Edit Priya Shah")).to_be_visible()
    expect(page.get_by_text("Invitation pending until")).to_be_visible()
    invited = user_by_email(app, email)
    assert invited.password_hash is None and invited.organisation.name == "Policy Lab, Cabinet Office"

    # The fellow opens the link from the email in their own browser.
    link = invitation_link(outbox, email)
    fellow_page = new_page(browser, live_server)
    accept_invitation(fellow_page, link, "Priya Shah")

    fellow_page.get_by_label("Job title").fill("Deputy Director, Digital Policy")
    interests = fellow_page.get_by_role("group", name="Policy interests")
    interests.get_by_label("AI policy").check()
    interests.get_by_label("Digital government").check()
    fellow_page.get_by_label("Biography").fill("Leads work on *public service reform*.")
    fellow_page.get_by_label("Photo", exact=True).set_input_files(str(jpeg(tmp_path)))
    fellow_page.get_by_role("button", name="Save profile").click()

    expect(fellow_page.get_by_text("Your profile has been saved.")).to_be_visible()
    expect(fellow_page.get_by_role("heading", name="Priya Shah", exact=True)).to_be_visible()
    expect(fellow_page.get_by_text("Deputy Director, Digital Policy, Policy Lab, Cabinet Office")).to_be_visible()
    expect(fellow_page.get_by_role("emphasis").filter(has_text="public service reform")).to_be_visible()
    photo = fellow_page.get_by_role("main").locator("img")
    expect(photo).to_have_count(1)
    assert photo.evaluate("img => img.complete && img.naturalWidth") == 800
    shot(fellow_page, "profile")

    joined = user_by_email(app, email)
    assert joined.password_hash is not None and joined.check_password(NEW_PASSWORD)
    assert sorted(tag.name for tag in joined.interests) == ["AI policy", "Digital government"]
    # The photo was re-encoded server-side, not stored as uploaded.
    assert joined.photo is not None and joined.photo.content_type == "image/webp"

    # The invitation link worked once only.
    fellow_page.goto(link)
    expect(fellow_page.get_by_text("This link is not valid")).to_be_visible()

    fellow_page.get_by_role("navigation", name="Main").get_by_role("link", name="Fellows", exact=True).click()
    expect(fellow_page.get_by_role("heading", name="Other Fellow")).to_be_visible()
    fellow_page.get_by_label("Policy interest", exact=True).select_option(label="AI policy")
    fellow_page.get_by_label("Sector").select_option(label="Government")
    fellow_page.get_by_role("button", name="Search").click()
    expect(fellow_page.get_by_text("1 fellow found")).to_be_visible()
    expect(fellow_page.get_by_role("heading", name="Other Fellow")).to_have_count(0)
    fellow_page.get_by_role("link", name="Priya Shah").click()
    expect(fellow_page).to_have_url(f"{live_server}/fellows/{joined.id}")
    fellow_page.go_back()
    shot(fellow_page, "directory")
    fellow_page.context.close()

    # Back on the organiser's list, the fellow now shows as joined.
    page.get_by_role("link", name="← All fellows").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Priya Shah"))
    expect(row.get_by_text("Joined")).to_be_visible()


def test_request_to_join_is_approved_and_the_fellow_can_then_sign_in(
    app, browser, live_server, page, make_organiser, outbox
):
    from fellows.models import JoinRequest

    organiser = make_organiser(name="Olivia Organiser")
    email = "tom.baker@example.ac.uk"

    page.goto("/login")
    page.get_by_role("link", name="ask for an account").click()
    expect(page.get_by_role("heading", name="Ask to join")).to_be_visible()
    page.get_by_label("Full name").fill("Tom Baker")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Organisation").fill("Cambridge Judge Business School")
    page.get_by_label("Why would you like to join?").fill("I joined the 2022 cohort on innovation policy.")
    shot(page, "join")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", name="Thank you — your request has been sent")).to_be_visible()

    # Before approval there is no account: signing in fails with the usual neutral message.
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("the account cannot sign in yet")
    assert user_by_email(app, email) is None

    organiser_page = new_page(browser, live_server)
    sign_in(organiser_page, organiser.email, PASSWORD)
    expect(organiser_page.get_by_text("1 request to join is waiting for a decision.")).to_be_visible()
    organiser_nav(organiser_page).get_by_role("link", name="Join requests").click()
    card = organiser_page.get_by_role("listitem").filter(has=organiser_page.get_by_role("heading", name="Tom Baker"))
    expect(card.get_by_text("I joined the 2022 cohort on innovation policy.")).to_be_visible()
    shot(organiser_page, "join_requests")
    card.get_by_role("button", name="Approve and send invitation").click()
    expect(organiser_page.get_by_text(f"Approved. An invitation has been sent to {email}.")).to_be_visible()
    expect(organiser_page.get_by_text("No requests are waiting.")).to_be_visible()
    decided = organiser_page.get_by_role("row").filter(has_text="Tom Baker")
    expect(decided.get_by_text("Approved")).to_be_visible()
    expect(decided.get_by_text("Olivia Organiser")).to_be_visible()
    organiser_page.context.close()

    with app.app_context():
        join_request = db.session.scalar(select(JoinRequest).where(JoinRequest.email == email))
        assert join_request.status == "approved" and join_request.decided_by_id == organiser.id
    accept_invitation(page, invitation_link(outbox, email), "Tom Baker")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out on every device.")).to_be_visible()
    sign_in(page, email, NEW_PASSWORD)
    expect(page.get_by_text("Signed in as Tom Baker.")).to_be_visible()
    expect(page.get_by_role("heading", name="Welcome, Tom Baker")).to_be_visible()
    fellow = user_by_email(app, email)
    assert fellow.role == "fellow" and fellow.organisation.name == "Cambridge Judge Business School"


CSV_HEADER = "name,email,organisation,sector,cohort,interests\n"
CSV_ROWS = [
    "Amara Okafor,amara.okafor@example.org,HM Treasury,government,2021,Public service reform\n",
    "Ben Ruiz,{email},DeepMind,industry,2022,AI policy; Digital government\n",
    "Chloe Martin,chloe.martin@example.org,University of Bristol,academia,2020,\n",
]


def test_csv_import_shows_the_bad_row_then_imports_the_corrected_file(app, page, make_organiser, outbox, tmp_path):
    from fellows.models import User

    organiser = make_organiser()
    bad = tmp_path / "fellows.csv"
    bad.write_text(CSV_HEADER + "".join(CSV_ROWS).replace("{email}", "ben.ruiz-at-example.org"), encoding="utf-8")
    good = tmp_path / "fellows-fixed.csv"
    good.write_text(CSV_HEADER + "".join(CSV_ROWS).replace("{email}", "ben.ruiz@example.org"), encoding="utf-8-sig")

    sign_in(page, organiser.email, PASSWORD)
    organiser_nav(page).get_by_role("link", name="Import fellows").click()
    expect(page.get_by_role("heading", name="Import fellows")).to_be_visible()
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Check the file").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem in 1 of 3 rows")
    expect(summary).to_contain_text("Nothing has been imported.")
    summary.get_by_role("link", name="Line 3: “ben.ruiz-at-example.org” is not a valid email address.").click()
    bad_row = page.get_by_role("row").filter(has_text="Ben Ruiz")
    expect(bad_row).to_contain_text("is not a valid email address")
    expect(page.get_by_role("row").filter(has_text="Amara Okafor")).to_contain_text("New fellow")
    expect(page.get_by_role("button", name="Import 3 fellows")).to_have_count(0)
    shot(page, "import_preview_errors")
    with app.app_context():
        assert db.session.scalars(select(User.email).where(User.role == "fellow")).all() == []

    page.get_by_label("CSV file").set_input_files(str(good))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("3 rows checked: 3 new fellows, 0 updates to existing fellows.")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    page.get_by_role("button", name="Import 3 fellows").click()

    expect(page.get_by_role("heading", name="Import complete")).to_be_visible()
    expect(page.get_by_text("3 new fellows added, 0 existing fellows updated.")).to_be_visible()
    shot(page, "import_done")
    page.get_by_role("button", name="Send invitations to the 3 new fellows").click()
    expect(page.get_by_text("Invitations sent to 3 new fellows.")).to_be_visible()

    page.get_by_role("link", name="Clear").click()
    expect(page.get_by_text("3 fellows", exact=True)).to_be_visible()
    for name, organisation in [
        ("Amara Okafor", "HM Treasury"),
        ("Ben Ruiz", "DeepMind"),
        ("Chloe Martin", "University of Bristol"),
    ]:
        row = page.get_by_role("row").filter(has=page.get_by_role("link", name=name))
        expect(row).to_contain_text(organisation)
        expect(row.get_by_text("Invitation pending until")).to_be_visible()
        # Each row's buttons say whose invitation they act on.
        expect(page.get_by_role("button", name=f"Revoke invitation for {name}")).to_be_visible()

    ben = user_by_email(app, "ben.ruiz@example.org")
    assert (ben.sector, ben.cohort) == ("industry", 2022)
    assert sorted(tag.name for tag in ben.interests) == ["AI policy", "Digital government"]
    assert sorted(m.to_address for m in outbox(kind="invitation")) == [
        "amara.okafor@example.org",
        "ben.ruiz@example.org",
        "chloe.martin@example.org",
    ]
