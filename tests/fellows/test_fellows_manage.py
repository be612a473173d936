"""Organiser pages for fellows: permissions of every organiser route, inviting, invitation status,
resend/revoke, editing, deactivation, the CSV export and CSRF."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.models import OutboxMessage, Tag, utcnow
from extensions import db
from fellows.models import AccountToken, User
from tests.conftest import PASSWORD, link_in

# Every organiser GET page; {fellow}, {org} and {tag} are filled in with real ids.
ORGANISER_PAGES = [
    "/organiser/fellows",
    "/organiser/fellows/invite",
    "/organiser/fellows/{fellow}/edit",
    "/organiser/fellows/export.csv",
    "/organiser/join-requests",
    "/organiser/import",
    "/organiser/organisations",
    "/organiser/organisations/new",
    "/organiser/organisations/{org}/edit",
    "/organiser/topics",
    "/organiser/topics/{tag}/edit",
]
# Every organiser action (POST); organisers' results are tested one by one below.
ORGANISER_ACTIONS = [
    "/organiser/fellows/invite",
    "/organiser/fellows/{fellow}/edit",
    "/organiser/fellows/{fellow}/invitation",
    "/organiser/fellows/{fellow}/invitation/revoke",
    "/organiser/fellows/{fellow}/deactivate",
    "/organiser/fellows/{fellow}/reactivate",
    "/organiser/join-requests/{request}/approve",
    "/organiser/join-requests/{request}/decline",
    "/organiser/import",
    "/organiser/import/confirm",
    "/organiser/import/invite",
    "/organiser/organisations/new",
    "/organiser/organisations/{org}/edit",
    "/organiser/topics",
    "/organiser/topics/{tag}/edit",
    "/organiser/topics/{tag}/delete",
]


@pytest.fixture
def ids(app, make_fellow, make_organisation):
    from fellows.models import JoinRequest

    fellow = make_fellow(name="Target Fellow", joined=False)
    org = make_organisation("Policy Lab, Cabinet Office")
    with app.app_context():
        tag = Tag(name="AI policy", slug="ai-policy")
        join_request = JoinRequest(
            name="Asker", email="asker@example.org", organisation_name="HMT", reason="Cohort 2019"
        )
        db.session.add_all([tag, join_request])
        db.session.commit()
        return {"fellow": fellow.id, "org": org.id, "tag": tag.id, "request": join_request.id}


def _client_for(role, app, login, make_fellow, make_organiser):
    if role == "anonymous":
        return app.test_client()
    return login(make_organiser() if role == "organiser" else make_fellow())


@pytest.mark.parametrize("role", ["anonymous", "fellow", "organiser"])
@pytest.mark.parametrize("route", ORGANISER_PAGES)
def test_organiser_pages_permissions(app, login, make_fellow, make_organiser, ids, route, role):
    client = _client_for(role, app, login, make_fellow, make_organiser)
    response = client.get(route.format(**ids))
    expected = {"anonymous": 302, "fellow": 403, "organiser": 200}[role]
    assert response.status_code == expected
    if role == "anonymous":
        assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", ["anonymous", "fellow"])
@pytest.mark.parametrize("route", ORGANISER_ACTIONS)
def test_organiser_actions_refused_to_others(app, login, make_fellow, make_organiser, ids, route, role):
    client = _client_for(role, app, login, make_fellow, make_organiser)
    response = client.post(route.format(**ids), data={"name": "Changed", "email": "changed@example.org"})
    assert response.status_code == (302 if role == "anonymous" else 403)
    if role == "anonymous":
        assert response.headers["Location"].startswith("/login")
    with app.app_context():
        assert db.session.get(User, ids["fellow"]).active
        assert db.session.get(Tag, ids["tag"]).name == "AI policy"
        assert db.session.scalar(select(func.count(AccountToken.id))) == 0
        assert db.session.scalar(select(func.count(User.id)).where(User.email == "changed@example.org")) == 0


def test_organisation_page_needs_sign_in(client, ids):
    response = client.get(f"/organisations/{ids['org']}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


# Inviting ----------------------------------------------------------------------------------


def test_invite_fellow_sends_single_use_link_that_lands_on_profile(app, login, make_organiser, outbox):
    organiser = make_organiser(name="Olivia Grant")
    client = login(organiser)
    response = client.post(
        "/organiser/fellows/invite",
        data={
            "name": "Nadia Rahman",
            "email": " Nadia.Rahman@Example.org ",
            "organisation": "HM Treasury",
            "sector": "government",
            "cohort": "2019",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "nadia.rahman@example.org"))
        assert user.password_hash is None and user.role == "fellow"
        assert user.organisation.name == "HM Treasury" and user.sector == "government" and user.cohort == 2019
        token = db.session.scalar(select(AccountToken).where(AccountToken.user_id == user.id))
        assert timedelta(days=6, hours=23) < token.expires_at - utcnow() <= timedelta(days=7)
    [message] = outbox(kind="invitation")
    assert message.to_address == "nadia.rahman@example.org"
    assert "Olivia Grant" in message.text_body

    # The fellow cannot sign in before accepting.
    anonymous = app.test_client()
    assert anonymous.post("/login", data={"email": "nadia.rahman@example.org", "password": PASSWORD}).status_code == 400

    link = link_in(message, "/invitation/")
    accepted = anonymous.post(link, data={"password": PASSWORD, "confirm": PASSWORD, "consent": "y"})
    assert accepted.status_code == 302 and accepted.headers["Location"] == "/profile/edit"
    assert anonymous.get(link, follow_redirects=True).status_code == 404  # single use

    page = client.get("/organiser/fellows").get_data(as_text=True)
    assert "Joined" in page


def test_invite_refuses_an_email_that_has_an_account(app, login, make_organiser, make_fellow, outbox):
    make_fellow(email="taken@example.org", name="Already Here")
    client = login(make_organiser())
    response = client.post("/organiser/fellows/invite", data={"name": "Someone", "email": "TAKEN@example.org"})
    assert response.status_code == 400
    assert "There is already an account with this email address" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.email == "taken@example.org")) == 1
        assert db.session.scalar(select(User.name).where(User.email == "taken@example.org")) == "Already Here"
    assert outbox() == []


def test_invite_form_errors_are_shown(login, make_organiser):
    client = login(make_organiser())
    response = client.post("/organiser/fellows/invite", data={"name": "", "email": "not-an-email", "cohort": "16"})
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter a name" in text and "Enter an email address like" in text and "Enter the year" in text


def _invite(client, email="new.fellow@example.org"):
    response = client.post("/organiser/fellows/invite", data={"name": "New Fellow", "email": email})
    assert response.status_code == 302
    return int(re.search(r"/organiser/fellows/(\d+)/edit", response.headers["Location"]).group(1))


def test_invitation_status_pending_expired_and_resend(app, login, make_organiser, outbox):
    client = login(make_organiser())
    user_id = _invite(client)
    page = client.get("/organiser/fellows").get_data(as_text=True)
    assert "Invitation pending until" in page and "Resend invitation" in page and "Revoke invitation" in page

    with app.app_context():
        token = db.session.scalar(select(AccountToken).where(AccountToken.user_id == user_id))
        token.expires_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    page = client.get(f"/organiser/fellows/{user_id}/edit").get_data(as_text=True)
    assert "Invitation expired" in page and "Revoke invitation" not in page
    old_link = link_in(outbox(kind="invitation")[0], "/invitation/")
    assert app.test_client().get(old_link, follow_redirects=True).status_code == 404

    response = client.post(f"/organiser/fellows/{user_id}/invitation", data={"next": "/organiser/fellows"})
    assert response.status_code == 302 and response.headers["Location"] == "/organiser/fellows"
    first, second = outbox(kind="invitation")
    new_link = link_in(second, "/invitation/")
    assert new_link != old_link
    assert app.test_client().get(new_link, follow_redirects=True).status_code == 200
    assert "Invitation pending until" in client.get(f"/organiser/fellows/{user_id}/edit").get_data(as_text=True)


def test_resend_makes_the_old_link_stop_working(app, login, make_organiser, outbox):
    client = login(make_organiser())
    user_id = _invite(client)
    old_link = link_in(outbox(kind="invitation")[0], "/invitation/")
    assert client.post(f"/organiser/fellows/{user_id}/invitation").status_code == 302
    new_link = link_in(outbox(kind="invitation")[1], "/invitation/")
    visitor = app.test_client()
    assert visitor.get(old_link, follow_redirects=True).status_code == 404
    assert visitor.post(old_link, data={"password": PASSWORD, "confirm": PASSWORD, "consent": "y"}).status_code == 404
    assert visitor.post(new_link, data={"password": PASSWORD, "confirm": PASSWORD, "consent": "y"}).status_code == 302


def test_revoke_invitation(app, login, make_organiser, outbox):
    client = login(make_organiser())
    user_id = _invite(client)
    link = link_in(outbox(kind="invitation")[0], "/invitation/")
    response = client.post(f"/organiser/fellows/{user_id}/invitation/revoke", follow_redirects=True)
    assert "has been revoked" in response.get_data(as_text=True)
    assert "Invitation revoked" in response.get_data(as_text=True)
    assert app.test_client().get(link, follow_redirects=True).status_code == 404
    with app.app_context():
        assert db.session.get(User, user_id).password_hash is None
    # Nothing left to revoke: a clear message, nothing changes.
    again = client.post(f"/organiser/fellows/{user_id}/invitation/revoke", follow_redirects=True)
    assert "has no invitation waiting" in again.get_data(as_text=True)


def test_no_invitation_for_someone_who_joined(app, login, make_organiser, make_fellow, outbox):
    fellow = make_fellow()
    client = login(make_organiser())
    response = client.post(f"/organiser/fellows/{fellow.id}/invitation", follow_redirects=True)
    assert "has already joined" in response.get_data(as_text=True)
    assert outbox() == []


# Editing and deactivating ------------------------------------------------------------------


def _profile_data(**overrides):
    data = {
        "email": "edited@example.org",
        "honorific": "Dr",
        "name": "Edited Name",
        "job_title": "Director",
        "organisation": "Government Digital Service",
        "sector": "government",
        "cohort": "2018",
        "fellow_status": "alumni",
        "biography": "",
        "links": "",
        "visibility": "organisers",
    }
    data.update(overrides)
    return data


def test_organiser_sees_and_edits_a_hidden_fellow(app, login, make_organiser, make_fellow):
    fellow = make_fellow(name="Hidden Person", visibility="organisers", email="hidden@example.org")
    client = login(make_organiser())
    assert "Hidden Person" in client.get("/organiser/fellows").get_data(as_text=True)
    form = client.get(f"/organiser/fellows/{fellow.id}/edit").get_data(as_text=True)
    assert 'value="hidden@example.org"' in form

    response = client.post(f"/organiser/fellows/{fellow.id}/edit", data=_profile_data())
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, fellow.id)
        assert (user.email, user.name, user.honorific, user.cohort) == ("edited@example.org", "Edited Name", "Dr", 2018)
        assert user.organisation.name == "Government Digital Service" and user.fellow_status == "alumni"


def test_changed_email_must_not_belong_to_another_account(app, login, make_organiser, make_fellow):
    make_fellow(email="other@example.org")
    fellow = make_fellow(email="mine@example.org", name="Original")
    client = login(make_organiser())
    response = client.post(f"/organiser/fellows/{fellow.id}/edit", data=_profile_data(email="Other@Example.org"))
    assert response.status_code == 400
    assert "Another account already uses this email address" in response.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, fellow.id)
        assert (user.email, user.name) == ("mine@example.org", "Original")


def test_edit_page_is_only_for_fellows(login, make_organiser):
    organiser = make_organiser()
    client = login(organiser)
    assert client.get(f"/organiser/fellows/{organiser.id}/edit").status_code == 404
    assert client.get("/organiser/fellows/999999/edit").status_code == 404


def test_deactivate_blocks_sign_in_and_keeps_history(app, login, make_organiser, make_fellow, make_event):
    from events.models import Booking

    fellow = make_fellow(email="leaving@example.org", interests=("AI policy",))
    event_id = make_event()
    with app.app_context():
        db.session.add(Booking(event_id=event_id, user_id=fellow.id, state="confirmed"))
        db.session.commit()
    fellow_client = login(fellow)
    organiser = login(make_organiser())

    response = organiser.post(f"/organiser/fellows/{fellow.id}/deactivate", follow_redirects=True)
    assert "cannot sign in" in response.get_data(as_text=True)
    assert "Deactivated" in organiser.get("/organiser/fellows").get_data(as_text=True)
    # Their open session ends and they cannot sign in again.
    assert fellow_client.get("/profile/edit").status_code == 302
    assert app.test_client().post("/login", data={"email": fellow.email, "password": PASSWORD}).status_code == 400
    with app.app_context():
        user = db.session.get(User, fellow.id)
        assert not user.active and [tag.name for tag in user.interests] == ["AI policy"]
        assert db.session.scalar(select(Booking.user_id).where(Booking.event_id == event_id)) == fellow.id

    organiser.post(f"/organiser/fellows/{fellow.id}/reactivate")
    assert app.test_client().post("/login", data={"email": fellow.email, "password": PASSWORD}).status_code == 302


def test_fellows_list_filters_by_account_state(login, make_organiser, make_fellow):
    make_fellow(name="Joined Person")
    make_fellow(name="Waiting Person", joined=False)
    make_fellow(name="Gone Person", active=False)
    client = login(make_organiser())
    invited = client.get("/organiser/fellows?account=invited").get_data(as_text=True)
    assert "Waiting Person" in invited and "Joined Person" not in invited and "Gone Person" not in invited
    gone = client.get("/organiser/fellows?account=deactivated").get_data(as_text=True)
    assert "Gone Person" in gone and "Waiting Person" not in gone
    found = client.get("/organiser/fellows?q=waiting").get_data(as_text=True)
    assert "Waiting Person" in found and "Joined Person" not in found


def test_fellows_list_query_count_does_not_grow(app, login, make_organiser, make_fellow, count_queries):
    client = login(make_organiser())

    def queries_for_page():
        with count_queries() as counter:
            assert client.get("/organiser/fellows").status_code == 200
        return counter.count

    for n in range(2):
        make_fellow(joined=bool(n))
    few = queries_for_page()
    for n in range(8):
        make_fellow(joined=bool(n % 2), interests=("AI policy",))
    assert queries_for_page() == few


def test_export_is_formula_safe_and_includes_every_fellow(app, login, make_organiser, make_fellow):
    make_fellow(
        name='=HYPERLINK("http://evil.example")',
        visibility="organisers",
        email="formula@example.org",
        interests=("@risky",),
    )
    make_fellow(name="Plain Person", joined=False)
    client = login(make_organiser())
    response = client.get("/organiser/fellows/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    by_email = {row["email"]: row for row in rows}
    assert by_email["formula@example.org"]["name"] == '\'=HYPERLINK("http://evil.example")'
    assert by_email["formula@example.org"]["interests"] == "'@risky"
    assert len(rows) == 2 and {row["account"] for row in rows} == {"joined", "not joined"}


# CSRF --------------------------------------------------------------------------------------


def _sign_in_with_token(client, user):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return token


def test_actions_without_csrf_token_are_refused(csrf_app, make_organiser, make_fellow, outbox):
    fellow = make_fellow(name="Protected Person")
    waiting = make_fellow(name="Waiting Person", joined=False)
    client = csrf_app.test_client()
    _sign_in_with_token(client, make_organiser())

    assert client.post(f"/organiser/fellows/{fellow.id}/deactivate").status_code == 400
    assert client.post(f"/organiser/fellows/{waiting.id}/invitation").status_code == 400
    assert client.post("/organiser/topics", data={"name": "Sneaky topic"}).status_code == 400
    edit = client.post(f"/organiser/fellows/{fellow.id}/edit", data=_profile_data())
    assert edit.status_code == 400
    with csrf_app.app_context():
        assert db.session.get(User, fellow.id).active
        assert db.session.get(User, fellow.id).name == "Protected Person"
        assert db.session.scalar(select(func.count(Tag.id))) == 0
    assert outbox() == []

    # The same request with the page's token goes through.
    page = client.get(f"/organiser/fellows/{fellow.id}/edit").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert client.post(f"/organiser/fellows/{fellow.id}/deactivate", data={"csrf_token": token}).status_code == 302
    with csrf_app.app_context():
        assert not db.session.get(User, fellow.id).active
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
