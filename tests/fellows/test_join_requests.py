"""Requests to join: nobody signs in before approval; approval invites; declining tells the person."""

from __future__ import annotations

from sqlalchemy import func, select

from extensions import db
from fellows.models import JoinRequest, User
from tests.conftest import PASSWORD, link_in


def _ask_to_join(client, email="asker@example.org", name="Priya Patel"):
    response = client.post(
        "/join",
        data={
            "name": name,
            "email": email,
            "organisation": "Greater London Authority",
            "reason": "I was in the 2019 cohort.",
        },
    )
    assert response.status_code == 200


def _request_id(app, email="asker@example.org") -> int:
    with app.app_context():
        return db.session.scalar(select(JoinRequest.id).where(JoinRequest.email == email))


def test_approval_sends_an_invitation_and_nobody_signs_in_before(app, client, login, make_organiser, outbox):
    _ask_to_join(client)
    # Before approval there is no account: no password works, and no email was sent to them.
    for password in (PASSWORD, "anything at all"):
        assert client.post("/login", data={"email": "asker@example.org", "password": password}).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.email == "asker@example.org")) == 0
    assert outbox() == []

    organiser = login(make_organiser(name="Olivia Grant"))
    page = organiser.get("/organiser/join-requests").get_data(as_text=True)
    assert "Priya Patel" in page and "asker@example.org" in page and "Greater London Authority" in page
    assert "I was in the 2019 cohort." in page

    response = organiser.post(f"/organiser/join-requests/{_request_id(app)}/approve", follow_redirects=True)
    assert "An invitation has been sent to asker@example.org" in response.get_data(as_text=True)
    with app.app_context():
        join_request = db.session.scalar(select(JoinRequest))
        user = db.session.scalar(select(User).where(User.email == "asker@example.org"))
        assert join_request.status == "approved" and join_request.decided_by.name == "Olivia Grant"
        assert user.password_hash is None and user.organisation.name == "Greater London Authority"

    # Still no sign-in until the invitation is accepted.
    assert client.post("/login", data={"email": "asker@example.org", "password": PASSWORD}).status_code == 400
    [invitation] = outbox(kind="invitation")
    assert invitation.to_address == "asker@example.org"
    link = link_in(invitation, "/invitation/")
    assert client.post(link, data={"password": PASSWORD, "confirm": PASSWORD, "consent": "y"}).status_code == 302
    client.post("/logout")
    assert client.post("/login", data={"email": "asker@example.org", "password": PASSWORD}).status_code == 302

    decided = organiser.get("/organiser/join-requests").get_data(as_text=True)
    assert "No requests are waiting" in decided and "Approved" in decided and "Olivia Grant" in decided


def test_decline_emails_the_message(app, client, login, make_organiser, outbox):
    _ask_to_join(client)
    organiser = login(make_organiser(name="Olivia Grant"))
    request_id = _request_id(app)
    response = organiser.post(
        f"/organiser/join-requests/{request_id}/decline",
        data={
            f"decline-{request_id}-message": "Accounts are for fellows from 2015 onwards.",
        },
        follow_redirects=True,
    )
    assert "Declined" in response.get_data(as_text=True)
    [message] = outbox(kind="join_declined")
    assert message.to_address == "asker@example.org"
    assert "Accounts are for fellows from 2015 onwards." in message.text_body
    with app.app_context():
        join_request = db.session.get(JoinRequest, request_id)
        assert join_request.status == "declined" and join_request.decided_by.name == "Olivia Grant"
        assert db.session.scalar(select(func.count(User.id)).where(User.email == "asker@example.org")) == 0
    assert outbox(kind="invitation") == []
    assert client.post("/login", data={"email": "asker@example.org", "password": PASSWORD}).status_code == 400
    page = organiser.get("/organiser/join-requests").get_data(as_text=True)
    assert "Accounts are for fellows from 2015 onwards." in page


def test_decline_without_a_message_still_tells_them(app, client, login, make_organiser, outbox):
    _ask_to_join(client)
    organiser = login(make_organiser())
    assert organiser.post(f"/organiser/join-requests/{_request_id(app)}/decline").status_code == 302
    [message] = outbox(kind="join_declined")
    assert "Message from the organisers" not in message.text_body


def test_decline_message_too_long_changes_nothing(app, client, login, make_organiser, outbox):
    _ask_to_join(client)
    organiser = login(make_organiser())
    request_id = _request_id(app)
    response = organiser.post(
        f"/organiser/join-requests/{request_id}/decline", data={f"decline-{request_id}-message": "x" * 2001}
    )
    assert response.status_code == 400
    assert "Field cannot be longer than 2000 characters" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(JoinRequest, request_id).status == "pending"
    assert outbox() == []


def test_a_decided_request_cannot_be_decided_again(app, client, login, make_organiser, outbox):
    _ask_to_join(client)
    organiser = login(make_organiser())
    request_id = _request_id(app)
    organiser.post(f"/organiser/join-requests/{request_id}/approve")
    again = organiser.post(f"/organiser/join-requests/{request_id}/decline", follow_redirects=True)
    assert "has already been approved" in again.get_data(as_text=True)
    twice = organiser.post(f"/organiser/join-requests/{request_id}/approve", follow_redirects=True)
    assert "has already been approved" in twice.get_data(as_text=True)
    assert len(outbox(kind="invitation")) == 1 and outbox(kind="join_declined") == []
    assert organiser.post("/organiser/join-requests/999999/approve").status_code == 404


def test_approving_someone_who_already_has_an_account(app, client, login, make_organiser, make_fellow, outbox):
    make_fellow(email="asker@example.org")
    _ask_to_join(client)
    organiser = login(make_organiser())
    response = organiser.post(f"/organiser/join-requests/{_request_id(app)}/approve", follow_redirects=True)
    assert "already had an account" in response.get_data(as_text=True)
    assert outbox(kind="invitation") == []
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.email == "asker@example.org")) == 1


def test_approving_a_deactivated_account_is_refused(app, client, login, make_organiser, make_fellow, outbox):
    make_fellow(email="asker@example.org", joined=False, active=False)
    _ask_to_join(client)
    organiser = login(make_organiser())
    response = organiser.post(f"/organiser/join-requests/{_request_id(app)}/approve", follow_redirects=True)
    assert "belongs to a deactivated account" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(JoinRequest.status)) == "pending"
    assert outbox() == []


def test_join_requests_page_query_count_does_not_grow(app, client, login, make_organiser, count_queries):
    organiser = login(make_organiser())
    _ask_to_join(client, "first@example.org")
    organiser.post(f"/organiser/join-requests/{_request_id(app, 'first@example.org')}/decline")
    _ask_to_join(client, "second@example.org")
    organiser.get("/organiser/join-requests")  # warm requests (the signed-in organiser is kept between changes)
    with count_queries() as few:
        assert organiser.get("/organiser/join-requests").status_code == 200
    with app.app_context():
        for n in range(6):
            db.session.add(JoinRequest(name=f"P{n}", email=f"p{n}@example.org", organisation_name="X", reason="R"))
        db.session.commit()
        ids = db.session.scalars(select(JoinRequest.id).where(JoinRequest.email.like("p_@%"))).all()
    for request_id in ids[:3]:
        organiser.post(f"/organiser/join-requests/{request_id}/approve")
    organiser.get("/organiser/join-requests")
    with count_queries() as many:
        assert organiser.get("/organiser/join-requests").status_code == 200
    assert many.count == few.count


def test_home_page_tells_organisers_about_waiting_requests(app, client, login, make_organiser, make_fellow):
    organiser = login(make_organiser())
    assert "Requests to join" not in organiser.get("/").get_data(as_text=True)
    _ask_to_join(client)
    _ask_to_join(client, "second@example.org")
    assert "2 requests to join are waiting" in organiser.get("/").get_data(as_text=True)
    assert "Requests to join" not in login(make_fellow()).get("/").get_data(as_text=True)
