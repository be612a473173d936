"""Organiser pages for organisations and the topic vocabulary, and the organisation page fellows see.
(Their permissions are tested with the other organiser routes in test_fellows_manage.py.)"""

from __future__ import annotations

import re

from sqlalchemy import func, select

from core.models import Tag
from extensions import db
from fellows.models import Organisation

# Organisations -----------------------------------------------------------------------------


def test_create_and_edit_organisation_with_unique_name(app, login, make_organiser, make_organisation):
    make_organisation("HM Treasury")
    client = login(make_organiser())
    created = client.post(
        "/organiser/organisations/new",
        data={
            "name": "Cambridge Judge Business School",
            "kind": "university",
            "website": "https://www.jbs.cam.ac.uk",
        },
    )
    assert created.status_code == 302
    clash = client.post("/organiser/organisations/new", data={"name": "hm  treasury", "kind": "government"})
    assert clash.status_code == 400 and "There is already an organisation called" in clash.get_data(as_text=True)
    bad_site = client.post(
        "/organiser/organisations/new",
        data={
            "name": "Elsewhere",
            "kind": "other",
            "website": "javascript:alert(1)",
        },
    )
    assert bad_site.status_code == 400
    with app.app_context():
        judge = db.session.scalar(select(Organisation).where(Organisation.name == "Cambridge Judge Business School"))
        assert (judge.kind, judge.website) == ("university", "https://www.jbs.cam.ac.uk")
        assert db.session.scalar(select(func.count(Organisation.id))) == 2

    rename_clash = client.post(
        f"/organiser/organisations/{judge.id}/edit", data={"name": "HM Treasury", "kind": "company"}
    )
    assert rename_clash.status_code == 400
    renamed = client.post(f"/organiser/organisations/{judge.id}/edit", data={"name": "Judge", "kind": "university"})
    assert renamed.status_code == 302
    with app.app_context():
        judge = db.session.get(Organisation, judge.id)
        assert (judge.name, judge.website) == ("Judge", None)


def test_organisations_list_counts_fellows(app, login, make_organiser, make_organisation, make_fellow, count_queries):
    lab = make_organisation("Policy Lab")
    make_organisation("Empty Org")
    client = login(make_organiser())
    with count_queries() as few:
        client.get("/organiser/organisations")
    for _ in range(3):
        make_fellow(organisation_id=lab.id)
        make_organisation()
    with count_queries() as many:
        page = client.get("/organiser/organisations").get_data(as_text=True)
    assert many.count == few.count
    row = re.search(r"Policy Lab</a></td>.*?<td>(\d+)</td>", page, re.S)
    assert row.group(1) == "3"


def test_organisation_page_lists_the_fellows_the_viewer_may_see(
    app, login, make_fellow, make_organiser, make_organisation, count_queries
):
    lab = make_organisation("Policy Lab, Cabinet Office", website="https://openpolicy.blog.gov.uk")
    make_fellow(name="Public Person", visibility="public", organisation_id=lab.id)
    make_fellow(name="Fellows Person", visibility="fellows", organisation_id=lab.id)
    make_fellow(name="Secret Person", visibility="organisers", organisation_id=lab.id)
    make_fellow(name="Invited Person", joined=False, organisation_id=lab.id)
    make_fellow(name="Elsewhere Person")

    fellow_view = login(make_fellow()).get(f"/organisations/{lab.id}").get_data(as_text=True)
    assert "Policy Lab, Cabinet Office" in fellow_view and "Government department" in fellow_view
    assert "Public Person" in fellow_view and "Fellows Person" in fellow_view
    assert "Secret Person" not in fellow_view and "Invited Person" not in fellow_view
    assert "Elsewhere Person" not in fellow_view

    organiser = login(make_organiser())
    with count_queries() as few:
        organiser_view = organiser.get(f"/organisations/{lab.id}").get_data(as_text=True)
    assert "Secret Person" in organiser_view and "Invited Person" not in organiser_view
    for _ in range(5):
        make_fellow(organisation_id=lab.id, interests=("AI policy",))
    with count_queries() as many:
        organiser.get(f"/organisations/{lab.id}")
    assert many.count == few.count
    assert organiser.get("/organisations/999999").status_code == 404


# Topics ------------------------------------------------------------------------------------


def test_add_rename_and_delete_topics(app, login, make_organiser, make_fellow):
    make_fellow(interests=("AI policy",))
    client = login(make_organiser())
    assert client.post("/organiser/topics", data={"name": "Digital  government"}).status_code == 302
    clash = client.post("/organiser/topics", data={"name": "ai POLICY"})
    assert clash.status_code == 400 and "There is already a topic called “AI policy”" in clash.get_data(as_text=True)
    assert client.post("/organiser/topics", data={"name": "!!!"}).status_code == 400
    with app.app_context():
        digital = db.session.scalar(select(Tag).where(Tag.slug == "digital-government"))
        ai = db.session.scalar(select(Tag).where(Tag.slug == "ai-policy"))
        assert digital.name == "Digital government"

    page = client.get("/organiser/topics").get_data(as_text=True)
    assert "1 fellow" in page and "Not used" in page

    renamed = client.post(f"/organiser/topics/{ai.id}/edit", data={"name": "Artificial intelligence"})
    assert renamed.status_code == 302
    rename_clash = client.post(f"/organiser/topics/{ai.id}/edit", data={"name": "Digital Government"})
    assert rename_clash.status_code == 400
    with app.app_context():
        tag = db.session.get(Tag, ai.id)
        assert (tag.name, tag.slug) == ("Artificial intelligence", "artificial-intelligence")

    refused = client.post(f"/organiser/topics/{ai.id}/delete", follow_redirects=True)
    assert "is still used by 1 fellow" in refused.get_data(as_text=True)
    deleted = client.post(f"/organiser/topics/{digital.id}/delete", follow_redirects=True)
    assert "has been deleted" in deleted.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Tag, ai.id) is not None
        assert db.session.get(Tag, digital.id) is None


def test_topic_used_by_an_event_cannot_be_deleted(app, login, make_organiser, make_event):
    make_event(topics=("Energy and climate",))
    client = login(make_organiser())
    with app.app_context():
        tag_id = db.session.scalar(select(Tag.id).where(Tag.slug == "energy-and-climate"))
    assert "1 event" in client.get("/organiser/topics").get_data(as_text=True)
    refused = client.post(f"/organiser/topics/{tag_id}/delete", follow_redirects=True)
    assert "is still used by 1 event" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Tag, tag_id) is not None


def test_topics_page_query_count_does_not_grow(login, make_organiser, make_fellow, make_event, count_queries):
    client = login(make_organiser())
    make_fellow(interests=("One",))
    with count_queries() as few:
        client.get("/organiser/topics")
    for n in range(6):
        make_fellow(interests=(f"Topic {n}",))
        make_event(topics=(f"Event topic {n}",))
    with count_queries() as many:
        client.get("/organiser/topics")
    assert many.count == few.count
