"""Fellow profiles: visibility for every viewer, safe biographies, photos, own data export and deletion."""

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from extensions import db
from fellows.models import User
from tests.html import assert_inert, section

VIEWERS = ["anonymous", "fellow", "other_fellow", "organiser"]

# Expected status of (directory listing contains the fellow, profile page, edit page) per visibility × viewer.
# The directory is for signed-in users only; the profile edit page is for the owner (organisers edit
# through their own page); a profile hidden from a viewer answers 404 so as not to reveal it exists.
EXPECTED = {
    ("public", "anonymous"): (None, 200, "login"),
    ("public", "fellow"): (True, 200, 200),
    ("public", "other_fellow"): (True, 200, 403),
    ("public", "organiser"): (True, 200, 403),
    ("fellows", "anonymous"): (None, 404, "login"),
    ("fellows", "fellow"): (True, 200, 200),
    ("fellows", "other_fellow"): (True, 200, 403),
    ("fellows", "organiser"): (True, 200, 403),
    ("organisers", "anonymous"): (None, 404, "login"),
    ("organisers", "fellow"): (True, 200, 200),
    ("organisers", "other_fellow"): (False, 404, 403),
    ("organisers", "organiser"): (True, 200, 403),
}


@pytest.mark.parametrize(("visibility", "viewer"), list(EXPECTED))
def test_visibility_matrix(app, login, make_fellow, make_organiser, make_organisation, visibility, viewer):
    org = make_organisation("Policy Lab, Cabinet Office")
    fellow = make_fellow(
        name="Valentina Owl",
        visibility=visibility,
        job_title="Head of Futures",
        organisation_id=org.id,
        biography="Works on **foresight**.",
    )
    others = {"fellow": fellow, "other_fellow": make_fellow(), "organiser": make_organiser()}
    client = app.test_client() if viewer == "anonymous" else login(others[viewer])
    in_directory, profile_status, edit_status = EXPECTED[(visibility, viewer)]

    directory = client.get("/fellows")
    if in_directory is None:
        assert directory.status_code == 302 and "/login" in directory.headers["Location"]
    else:
        assert directory.status_code == 200
        assert ("Valentina Owl" in directory.get_data(as_text=True)) is in_directory

    profile = client.get(f"/fellows/{fellow.id}")
    assert profile.status_code == profile_status
    text = profile.get_data(as_text=True)
    if profile_status == 200:
        assert "Head of Futures" in text and "Policy Lab, Cabinet Office" in text
        assert "<strong>foresight</strong>" in text
    else:
        assert "Head of Futures" not in text and "Valentina Owl" not in text

    # The edit page: only the fellow edits their own profile here.
    if viewer == "fellow":
        client = login(fellow)
    edit = client.get("/profile/edit")
    if edit_status == "login":
        assert edit.status_code == 302 and "/login" in edit.headers["Location"]
    elif viewer in ("fellow",):
        assert edit.status_code == 200 and "Valentina Owl" in edit.get_data(as_text=True)
    elif viewer == "other_fellow":
        # Another fellow gets their own edit page, never Valentina's.
        assert edit.status_code == 200 and "Valentina Owl" not in edit.get_data(as_text=True)
    else:
        assert edit.status_code == 403


def test_photo_follows_profile_visibility(app, client, login, make_fellow):
    fellow = make_fellow(visibility="fellows")
    owner = login(fellow)
    owner.post(
        "/profile/edit",
        data=_profile_data(visibility="fellows", photo=(io.BytesIO(_png()), "me.png")),
        content_type="multipart/form-data",
    )
    assert owner.get(f"/fellows/{fellow.id}/photo").status_code == 200
    assert client.get(f"/fellows/{fellow.id}/photo").status_code == 404


def _png(size=(1600, 1200), fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


def _profile_data(**overrides):
    data = {
        "name": "Valentina Owl",
        "honorific": "Dr",
        "job_title": "Analyst",
        "organisation": "HM Treasury",
        "sector": "government",
        "cohort": "2016",
        "fellow_status": "current",
        "visibility": "public",
        "biography": "",
        "links": "",
    }
    data.update(overrides)
    return data


def test_fellow_edits_profile_with_photo_interests_and_links(app, login, make_fellow):
    fellow = make_fellow(interests=("Digital government", "AI policy"))
    with app.app_context():
        from core.models import Tag

        ai = db.session.scalar(db.select(Tag).filter_by(name="AI policy"))
    client = login(fellow)
    response = client.post(
        "/profile/edit",
        data=_profile_data(
            interests=[str(ai.id)],
            links="Personal page https://example.org/me",
            photo=(io.BytesIO(_png()), "portrait.png"),
        ),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, fellow.id)
        assert user.display_name == "Dr Valentina Owl"
        assert user.organisation.name == "HM Treasury"
        assert [t.name for t in user.interests] == ["AI policy"]
        assert user.links == [{"label": "Personal page", "url": "https://example.org/me"}]
        assert user.photo.content_type == "image/webp"
        assert max(user.photo.width, user.photo.height) == 800  # resized server-side
        with Image.open(io.BytesIO(user.photo.data)) as image:
            assert image.format == "WEBP"
    page = client.get(f"/fellows/{fellow.id}").get_data(as_text=True)
    assert 'href="https://example.org/me"' in page and "AI policy" in page


def test_a_non_image_renamed_png_is_rejected_with_a_clear_message(app, login, make_fellow):
    fellow = make_fellow()
    client = login(fellow)
    response = client.post(
        "/profile/edit",
        data=_profile_data(name="Changed Name", photo=(io.BytesIO(b"%PDF-1.4 not an image at all"), "photo.png")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "The file is not an image" in response.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, fellow.id)
        assert user.photo_id is None and user.name != "Changed Name"  # nothing half-saved


def test_gif_is_refused_and_oversized_upload_gets_413(app, login, make_fellow):
    client = login(make_fellow())
    gif = _png((10, 10), fmt="GIF")
    response = client.post(
        "/profile/edit", data=_profile_data(photo=(io.BytesIO(gif), "photo.png")), content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "GIF images are not accepted" in response.get_data(as_text=True)
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post(
        "/profile/edit", data=_profile_data(photo=(io.BytesIO(_png()), "big.png")), content_type="multipart/form-data"
    )
    assert response.status_code == 413
    assert "The upload is too large" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "biography",
    [
        "<script>alert('x')</script>Hello",
        "[click me](javascript:alert(1))",
        '<img src=x onerror="alert(1)">',
        '<a href="#" onclick="alert(1)">x</a>',
        "![pic](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        '<p style="position:fixed;top:0">overlay</p>',
    ],
)
def test_biography_attacks_are_rendered_inert(client, make_fellow, biography):
    fellow = make_fellow(visibility="public", biography=biography)
    text = client.get(f"/fellows/{fellow.id}").get_data(as_text=True)
    body = text.split('<div class="prose">', 1)[1].split("</div>", 1)[0]
    assert_inert(body)


def test_biography_markdown_survives(client, make_fellow):
    fellow = make_fellow(visibility="public", biography="## Work\n\n- one\n- two\n\n[site](https://example.org)")
    body = client.get(f"/fellows/{fellow.id}").get_data(as_text=True)
    assert "<h2>Work</h2>" in body and "<li>one</li>" in body
    assert '<a href="https://example.org" rel="nofollow noopener noreferrer">site</a>' in body


def test_links_must_be_web_addresses(login, make_fellow):
    client = login(make_fellow())
    response = client.post("/profile/edit", data=_profile_data(links="Evil javascript:alert(1)"))
    assert response.status_code == 400
    assert "Line 1 of Links must end with a web address" in response.get_data(as_text=True)


def test_directory_search_and_filters(app, login, make_fellow, make_organisation):
    treasury = make_organisation("HM Treasury")
    make_fellow(
        name="Alice Civil", sector="government", cohort=2016, organisation_id=treasury.id, interests=("AI policy",)
    )
    make_fellow(name="Bob Industry", sector="industry", cohort=2018, fellow_status="alumni")
    client = login(make_fellow(name="Carol Viewer", sector="academia", cohort=2020))

    def names(query):
        text = section(client.get("/fellows" + query).get_data(as_text=True), '<ul class="cards">', "</ul>\n</")
        return {n for n in ("Alice Civil", "Bob Industry", "Carol Viewer") if n in text}

    assert names("") == {"Alice Civil", "Bob Industry", "Carol Viewer"}
    assert names("?q=treasury") == {"Alice Civil"}
    assert names("?q=bob") == {"Bob Industry"}
    assert names("?sector=industry") == {"Bob Industry"}
    assert names("?cohort=2016") == {"Alice Civil"}
    assert names("?status=alumni") == {"Bob Industry"}
    assert names("?interest=ai-policy") == {"Alice Civil"}


def test_a_new_cohort_is_in_the_directory_filter_at_once(login, make_fellow):
    """The cohort list is kept between changes (a scan of every fellow); a new fellow's year is a change."""
    client = login(make_fellow(name="Carol Viewer", cohort=2020))
    assert '<option value="2020"' in client.get("/fellows").get_data(as_text=True)
    make_fellow(name="Dev New", cohort=2031)
    page = client.get("/fellows?cohort=2031").get_data(as_text=True)
    assert '<option value="2031" selected>' in page and "Dev New" in page


def test_directory_is_paginated_with_constant_queries(app, login, make_fellow, count_queries):
    viewer = make_fellow(name="Aaron First")
    client = login(viewer)
    for _ in range(4):
        make_fellow(interests=("AI policy",))
    with count_queries() as few:
        client.get("/fellows")
    for _ in range(40):
        make_fellow(interests=("AI policy", "Digital government"))
    with count_queries() as many:
        page = client.get("/fellows").get_data(as_text=True)
    assert many.count == few.count
    assert "Page 1 of 3" in page and "Next" in page
    assert "Page 3 of 3" in client.get("/fellows?page=3").get_data(as_text=True)


def test_export_my_data_as_json(login, make_fellow):
    fellow = make_fellow(name="Data Subject", interests=("AI policy",), biography="Bio text")
    client = login(fellow)
    assert client.get("/account/export").status_code == 405  # downloads are POSTs from the account page
    response = client.post("/account/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == fellow.email
    assert data["profile"]["name"] == "Data Subject"
    assert data["profile"]["interests"] == ["AI policy"]
    assert data["profile"]["biography"] == "Bio text"


def test_delete_account_keeps_past_bookings_as_anonymous_places(app, login, make_fellow, make_event, auth):
    from events.models import Booking, Event

    fellow = make_fellow(name="Leaving Soon")
    event_id = make_event(capacity=10, starts_at=datetime.now(UTC) - timedelta(days=3))
    with app.app_context():
        db.session.add(Booking(event_id=event_id, user_id=fellow.id, state="confirmed"))
        db.session.commit()
    client = login(fellow)
    response = client.post("/account/delete", data={"delete-password": "wrong password", "delete-confirm": "y"})
    assert response.status_code == 400
    response = client.post(
        "/account/delete", data={"delete-password": "correct horse battery staple", "delete-confirm": "y"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, fellow.id) is None
        assert db.session.scalar(db.select(User).filter_by(email=fellow.email)) is None
        [booking] = db.session.scalars(db.select(Booking)).all()
        assert booking.user_id is None and booking.state == "confirmed"
        assert db.session.get(Event, event_id).confirmed_count == 1
    assert auth.login(fellow).status_code == 400
