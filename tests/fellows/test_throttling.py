"""Issue 23 (3, 4, 13): failed sign-ins are limited per account and per address, with the real address
behind TRUSTED_PROXIES reverse proxies; a reset by email unlocks an account; the account page's password
checks are throttled too; organisers' actions that send email have a limit of their own."""

from __future__ import annotations

import re
import time

import pytest

from app import create_app
from extensions import db
from tests.conftest import PASSWORD, link_in

NEW_PASSWORD = "a lantern by the quiet harbour"


def _sign_in(client, email, password, address="203.0.113.9"):
    return client.post("/login", data={"email": email, "password": password}, headers={"X-Forwarded-For": address})


@pytest.fixture
def behind_a_proxy(database_uri, tmp_path):
    """The app as deployed behind one reverse proxy (TRUSTED_PROXIES=1)."""
    proxied = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-that-is-long-enough",
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "WTF_CSRF_ENABLED": False,
            "MAIL_TRANSPORT": "log",
            "MAIL_SEND_ON_COMMIT": False,
            "BASE_URL": "http://localhost",
            "CACHE_TYPE": "SimpleCache",
            "TRUSTED_PROXIES": 1,
        }
    )
    proxied.instance_path = str(tmp_path)
    yield proxied
    with proxied.app_context():
        db.session.remove()
        db.engine.dispose()


def test_failures_from_one_address_behind_a_proxy_do_not_lock_out_another(app, make_fellow, behind_a_proxy):
    organiser = make_fellow(email="organiser@example.org")
    client = behind_a_proxy.test_client()
    # 30 failures for 30 different accounts from one attacker's address, all through the same proxy.
    for n in range(30):
        assert _sign_in(client, f"nobody{n}@example.org", "wrong password!", "198.51.100.7").status_code == 400
    assert _sign_in(client, "nobody99@example.org", "wrong password!", "198.51.100.7").status_code == 429
    # The organiser, at another address behind the same proxy, still signs in.
    assert _sign_in(client, organiser.email, PASSWORD, "203.0.113.9").status_code == 302


def test_without_trusted_proxies_a_forged_address_is_ignored(app, client):
    for n in range(30):
        assert _sign_in(client, f"nobody{n}@example.org", "wrong password!", f"192.0.2.{n}").status_code == 400
    # Each request claimed a new address, but the app counted the real one.
    assert _sign_in(client, "nobody99@example.org", "wrong password!", "192.0.2.200").status_code == 429


def test_an_account_locked_by_failures_says_how_to_unlock_it_and_a_reset_does(app, client, make_fellow, outbox):
    fellow = make_fellow(email="ada@example.org")
    for n in range(5):
        assert _sign_in(app.test_client(), fellow.email, "wrong password!", f"192.0.2.{n}").status_code == 400
    locked = _sign_in(app.test_client(), fellow.email, PASSWORD)
    assert locked.status_code == 429
    assert "reset your password by email" in locked.get_data(as_text=True)
    # The same answer for an address without an account, once it has failed as often.
    for _ in range(5):
        _sign_in(app.test_client(), "nobody@example.org", "wrong password!")
    assert _sign_in(app.test_client(), "nobody@example.org", "x" * 12).get_data(as_text=True).count(
        "reset your password by email"
    ) == locked.get_data(as_text=True).count("reset your password by email")
    client.post("/password/forgot", data={"email": fellow.email})
    link = link_in(outbox(kind="password_reset")[0], "/password/reset/")
    assert client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert _sign_in(app.test_client(), fellow.email, NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize("page", ["change", "delete"])
def test_wrong_current_passwords_on_the_account_page_are_throttled(app, login, make_fellow, page):
    fellow = make_fellow()
    client = login(fellow)

    def attempt(password):
        if page == "change":
            data = {
                "password-current_password": password,
                "password-password": NEW_PASSWORD,
                "password-confirm": NEW_PASSWORD,
            }
            return client.post("/account", data=data)
        return client.post("/account/delete", data={"delete-password": password, "delete-confirm": "y"})

    assert [attempt("wrong password!").status_code for _ in range(5)] == [400] * 5
    refused = attempt(PASSWORD)  # even the right one, while throttled
    assert refused.status_code == 429 and "Too many wrong passwords" in refused.get_data(as_text=True)
    assert client.get("/account").status_code == 200  # still signed in, nothing changed


def test_organisers_actions_that_send_email_have_a_limit_and_a_refusal_sends_nothing(
    app, login, make_organiser, outbox
):
    app.config["ORGANISER_MAIL_RATE_LIMIT"] = "3 per 10 minutes"
    organiser = login(make_organiser())
    response = organiser.post("/organiser/fellows/invite", data={"name": "New Fellow", "email": "new@example.org"})
    user_id = int(re.search(r"/organiser/fellows/(\d+)/edit", response.headers["Location"]).group(1))
    assert [organiser.post(f"/organiser/fellows/{user_id}/invitation").status_code for _ in range(2)] == [302, 302]
    time.sleep(1.1)  # the count is the organiser's for the whole window, not for the second it began in
    refused = organiser.post(f"/organiser/fellows/{user_id}/invitation")
    assert refused.status_code == 429 and "sent a lot of email in a short time" in refused.get_data(as_text=True)
    assert len(outbox(kind="invitation")) == 3
    # Another organiser is not held back by the first one's sending.
    other = login(make_organiser())
    assert other.post(f"/organiser/fellows/{user_id}/invitation").status_code == 302


def test_searches_exports_and_uploads_share_one_limit_per_person(app, login, make_fellow, make_organiser):
    """ASVS 11.1.4: scraping the directory by search, downloading the fellows list over and over or
    flooding the imports all count against one limit per person; browsing without a search does not, and
    another person is not held back."""
    app.config["COSTLY_RATE_LIMIT"] = "4 per 10 minutes"
    fellow = login(make_fellow())
    assert [fellow.get(f"/fellows?q=a{n}").status_code for n in range(2)] == [200, 200]
    assert [fellow.get("/fellows").status_code for _ in range(5)] == [200] * 5  # no search: not counted
    assert fellow.get("/events?q=policy").status_code == 200
    assert fellow.post("/account/export").status_code == 200
    time.sleep(1.1)  # the count is the person's for the whole window, not for the second it began in
    refused = fellow.get("/notes?q=lunch")
    assert refused.status_code == 429
    assert "a lot of searching, downloading or uploading" in refused.get_data(as_text=True)
    assert fellow.post("/account/export").status_code == 429
    assert fellow.get("/fellows").status_code == 200  # the directory itself still opens

    organiser = login(make_organiser())
    assert organiser.get("/organiser/fellows/export.csv").status_code == 200
    assert organiser.get("/organiser/import").status_code == 200  # the form is not an upload
    for _ in range(3):
        organiser.post("/organiser/import", data={})
    assert organiser.post("/organiser/import", data={}).status_code == 429
