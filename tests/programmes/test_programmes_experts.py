"""The expert network: organisers add, edit, merge and import experts; nobody else sees it."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from extensions import db
from programmes.models import Expert
from tests.concurrency import at_the_same_moment


def _form(**fields):
    data = {"name": "Priya Shah", "email": "Priya.Shah@Uni.Example", "meeting_mode": "in_person"}
    return data | fields


def test_an_organiser_adds_and_edits_an_expert(app, make_organiser, login):
    organiser = login(make_organiser())
    response = organiser.post(
        "/organiser/experts/new",
        data=_form(department="Bennett Institute", organisation="University of Cambridge", location="Alison Richard"),
    )
    assert response.status_code == 302
    with app.app_context():
        expert = db.session.scalar(select(Expert))
        assert expert.email == "priya.shah@uni.example"
        assert expert.affiliation == "Bennett Institute, University of Cambridge"
        expert_id = expert.id
    listing = organiser.get("/organiser/experts?q=bennett").get_data(as_text=True)
    assert "Priya Shah" in listing
    assert "Priya Shah" not in organiser.get("/organiser/experts?q=zoology").get_data(as_text=True)
    edit = organiser.post(f"/organiser/experts/{expert_id}/edit", data=_form(do_not_contact="y", meeting_mode="online"))
    assert edit.status_code == 302
    with app.app_context():
        expert = db.session.get(Expert, expert_id)
        assert expert.do_not_contact and expert.meeting_mode == "online" and expert.organisation is None
    assert "Do not contact" in organiser.get("/organiser/experts").get_data(as_text=True)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"email": "not-an-email"}, "Enter an email address like"),
        ({"name": "  "}, "Enter the expert"),  # spaces are no name
        ({"meeting_mode": "carrier pigeon"}, "Not a valid choice"),
        ({"location": "x" * 121}, "Field cannot be longer than 120 characters"),
    ],
)
def test_bad_expert_details_are_400_with_a_message(app, make_organiser, login, fields, message):
    response = login(make_organiser()).post("/organiser/experts/new", data=_form(**fields))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Expert.id))) == 0


def test_the_same_email_twice_is_refused(make_organiser, login, make_expert):
    make_expert(email="priya.shah@uni.example")
    response = login(make_organiser()).post("/organiser/experts/new", data=_form())
    assert response.status_code == 400
    assert "already has the address" in response.get_data(as_text=True)


def test_merging_a_duplicate_keeps_one_expert_with_both_topics(app, make_organiser, login, make_expert):
    keep = make_expert("Priya Shah", topics=("AI policy",), email="p.shah@uni.example")
    duplicate = make_expert("priya shah", topics=("Data and privacy",), email="ps1@uni.example", location="Mill Lane")
    organiser = login(make_organiser())
    page = organiser.get(f"/organiser/experts/{keep}/edit").get_data(as_text=True)
    assert "Possible duplicates" in page and "ps1@uni.example" in page
    assert organiser.post(f"/organiser/experts/{keep}/merge", data={"duplicate_id": duplicate}).status_code == 302
    with app.app_context():
        assert db.session.get(Expert, duplicate) is None
        kept = db.session.get(Expert, keep)
        assert {tag.name for tag in kept.topics} == {"AI policy", "Data and privacy"}
        assert kept.location == "Mill Lane"
    assert organiser.post(f"/organiser/experts/{keep}/merge", data={"duplicate_id": keep}).status_code == 400
    assert organiser.post(f"/organiser/experts/{keep}/merge", data={"duplicate_id": 99999}).status_code == 404
    assert organiser.post(f"/organiser/experts/{keep}/merge", data={"duplicate_id": "x"}).status_code == 400


CSV = (
    "name,email,title,department,organisation,location,topics,meeting_mode,biography\r\n"
    "Priya Shah,priya@uni.example,Professor,Bennett Institute,University of Cambridge,Alison Richard,"
    "Digital government; AI policy,in person,Studies online services.\r\n"
    "Tom Ward,tom@gds.example,,Data Science,Government Digital Service,London,,online,\r\n"
)


def _upload(client, text: str):
    return client.post(
        "/organiser/experts/import",
        data={"file": (io.BytesIO(text.encode()), "experts.csv")},
        content_type="multipart/form-data",
    )


def test_a_csv_import_previews_then_imports_and_updates_by_email(app, make_organiser, login, make_expert):
    make_expert("Tom Ward (old)", email="tom@gds.example", location="Whitechapel")
    organiser = login(make_organiser())
    preview = _upload(organiser, CSV)
    assert preview.status_code == 200
    body = preview.get_data(as_text=True)
    assert "1 new, 1 updates" in body
    with app.app_context():
        assert db.session.scalar(select(func.count(Expert.id))) == 1  # nothing saved by the preview
    content = re.search(r'name="content" value="([^"]+)"', body).group(1)
    assert organiser.post("/organiser/experts/import/confirm", data={"content": content}).status_code == 302
    with app.app_context():
        priya = db.session.scalar(select(Expert).where(Expert.email == "priya@uni.example"))
        assert {tag.name for tag in priya.topics} == {"Digital government", "AI policy"}
        assert priya.organisation.name == "University of Cambridge"
        tom = db.session.scalar(select(Expert).where(Expert.email == "tom@gds.example"))
        assert tom.name == "Tom Ward" and tom.location == "London" and tom.meeting_mode == "online"


@pytest.mark.parametrize(
    "text, message",
    [
        ("name,email\nPriya,not-an-email\n", "is not a valid email address"),
        ("name,email,meeting_mode\nPriya,p@x.example,telepathy\n", "Unknown meeting mode"),
        ("name,email\nA,a@x.example\nB,A@x.example\n", "Duplicate email"),
        ("name,mail\nA,a@x.example\n", "unknown columns: mail"),
        ("", "The file is empty"),
    ],
)
def test_a_bad_csv_imports_nothing_and_says_why(app, make_organiser, login, text, message):
    response = _upload(login(make_organiser()), text)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Expert.id))) == 0


def test_a_damaged_confirmation_asks_for_the_file_again(make_organiser, login):
    response = login(make_organiser()).post("/organiser/experts/import/confirm", data={"content": "!!!"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Upload it again" in body or "The file is empty" in body


@pytest.mark.parametrize("path", ["/organiser/experts", "/organiser/experts/new", "/organiser/experts/import"])
def test_the_network_is_for_organisers_only(client, make_fellow, login, path):
    assert login(make_fellow()).get(path).status_code == 403
    assert client.get(path).status_code == 302


def test_the_experts_page_costs_the_same_for_few_and_many(make_organiser, login, make_expert, count_queries):
    organiser = login(make_organiser())

    def measure() -> int:
        with count_queries() as counter:
            assert organiser.get("/organiser/experts").status_code == 200
        return counter.count

    for n in range(2):
        make_expert(f"Expert {n}", topics=("AI policy",))
    few = measure()
    for n in range(2, 14):
        make_expert(f"Expert {n}", topics=("AI policy",))
    assert measure() == few


def test_one_new_expert_added_from_three_tabs_at_once_is_added_once(app, make_organiser, login):
    """Issue 23, defect 7: the slower saves are told, as a later one is, who already has the address."""
    tabs = [login(make_organiser()) for _ in range(3)]

    statuses = at_the_same_moment(
        [lambda t=t: t.post("/organiser/experts/new", data=_form(organisation="Bennett Institute")) for t in tabs]
    )

    assert sorted(statuses) == [302, 400, 400]
    with app.app_context():
        assert db.session.scalar(select(func.count(Expert.id))) == 1


def test_one_import_confirmed_from_three_tabs_at_once_makes_each_expert_once(app, make_organiser, login):
    tabs = [login(make_organiser()) for _ in range(3)]
    content = re.search(r'name="content" value="([^"]+)"', _upload(tabs[0], CSV).get_data(as_text=True)).group(1)

    statuses = at_the_same_moment(
        [lambda t=t: t.post("/organiser/experts/import/confirm", data={"content": content}) for t in tabs]
    )

    assert statuses == [302] * 3
    with app.app_context():
        emails = db.session.scalars(select(Expert.email)).all()
        assert sorted(emails) == ["priya@uni.example", "tom@gds.example"]
        priya = db.session.scalar(select(Expert).where(Expert.email == "priya@uni.example"))
        assert {tag.name for tag in priya.topics} == {"Digital government", "AI policy"}
