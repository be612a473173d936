"""Issue 23 (1): exactly one joining or reset link is live per person, however many requests race to make
one, and using a link ends every other session of the account."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from extensions import db
from fellows.models import AccountToken
from tests.concurrency import at_the_same_moment
from tests.conftest import PASSWORD, link_in

NEW_PASSWORD = "a lantern by the quiet harbour"


def _live_links(app, user_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(AccountToken.id)).where(
                AccountToken.user_id == user_id, AccountToken.used_at.is_(None), AccountToken.revoked_at.is_(None)
            )
        )


def test_two_resends_at_once_leave_one_working_link(app, login, make_organiser, outbox):
    organiser = login(make_organiser())
    response = organiser.post("/organiser/fellows/invite", data={"name": "New Fellow", "email": "new@example.org"})
    user_id = int(re.search(r"/organiser/fellows/(\d+)/edit", response.headers["Location"]).group(1))
    first, second = login(make_organiser()), login(make_organiser())
    statuses = at_the_same_moment(
        [lambda c=c: c.post(f"/organiser/fellows/{user_id}/invitation") for c in (first, second)]
    )
    assert statuses == [302, 302]
    assert _live_links(app, user_id) == 1
    links = [link_in(message, "/invitation/") for message in outbox(kind="invitation")]
    assert len(links) == 3
    answers = [
        app.test_client().post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "consent": "y"})
        for link in links
    ]
    assert sorted(answer.status_code for answer in answers) == [302, 404, 404]


def test_using_a_reset_link_ends_every_other_session(app, client, login, make_fellow, outbox):
    fellow = make_fellow(email="ada@example.org")
    elsewhere = login(fellow)  # e.g. a session someone else opened with her old password
    assert elsewhere.get("/account").status_code == 200
    client.post("/password/forgot", data={"email": fellow.email})
    client.post("/password/forgot", data={"email": fellow.email})
    older, newer = (link_in(message, "/password/reset/") for message in outbox(kind="password_reset"))
    assert _live_links(app, fellow.id) == 1
    visitor = app.test_client()
    assert (
        visitor.post(older, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "consent": "y"}).status_code == 404
    )
    assert (
        visitor.post(newer, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "consent": "y"}).status_code == 302
    )
    assert elsewhere.get("/account").status_code == 302  # signed out: back to the sign-in page
    assert visitor.get("/account").status_code == 200
    assert app.test_client().post("/login", data={"email": fellow.email, "password": PASSWORD}).status_code != 302


def test_two_uses_of_one_link_at_once_sign_in_once(app, login, make_organiser, outbox):
    organiser = login(make_organiser())
    organiser.post("/organiser/fellows/invite", data={"name": "New Fellow", "email": "new@example.org"})
    [link] = [link_in(message, "/invitation/") for message in outbox(kind="invitation")]
    visitors = [app.test_client(), app.test_client()]
    statuses = at_the_same_moment(
        [
            lambda v=v: v.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "consent": "y"})
            for v in visitors
        ]
    )
    assert sorted(statuses) == [302, 404]
    signed_in = [v.get("/account").status_code for v in visitors]
    assert sorted(signed_in) == [200, 302]
