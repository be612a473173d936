"""Accounts, as ASVS level 1 asks (issue 23): the password rule when one is chosen (2.1.1, 2.1.2, 2.1.7), an
email to the account's address when its password or address changes (2.2.3, 2.5.5), remember-me for 30 days
at most (3.3.2), and signing out on every device from the account page (3.3.1)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.models import utcnow
from extensions import db
from fellows.demo import DEMO_PASSWORD
from fellows.models import User
from tests.conftest import PASSWORD, link_in

NEW_PASSWORD = "a brand new passphrase"


def _reset_link(client, outbox, fellow) -> str:
    assert client.post("/password/forgot", data={"email": fellow.email}).status_code == 200
    return link_in(outbox(kind="password_reset")[-1], "/password/reset/")


def _invitation_link(app, outbox, fellow) -> str:
    from fellows.services import invite_fellow

    with app.app_context():
        invite_fellow(db.session.get(User, fellow.id), None)
        db.session.commit()
    return link_in(outbox(kind="invitation")[-1], "/invitation/")


def _choose(client, link, password):
    return client.post(link, data={"password": password, "confirm": password, "consent": "y"})


def _change(client, password, current=PASSWORD):
    return client.post(
        "/account",
        data={"password-current_password": current, "password-password": password, "password-confirm": password},
    )


# Passwords ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("eleven chrs", "Use at least 12 characters"),
        ("x" * 129, "Use at most 128 characters"),
        ("password1234", "This is a very common password"),
        ("qwertyuiop12", "This is similar to a commonly used password"),
        ("aaaaaaaaaaaaaaaa", "Repeats like"),
    ],
)
def test_a_reset_refuses_short_long_and_common_passwords_and_says_why(client, make_fellow, outbox, password, message):
    fellow = make_fellow()
    link = _reset_link(client, outbox, fellow)
    response = _choose(client, link, password)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert message in text
    if "easy to guess" in text or "common" in message or "Repeats" in message:
        assert "This password is too easy to guess" in text and "Add another word or two" in text
    with client.application.app_context():
        assert db.session.get(User, fellow.id).check_password(PASSWORD)  # unchanged
    assert client.get(link, follow_redirects=True).status_code == 200  # the link is not spent


def test_a_password_of_64_or_128_characters_works(client, auth, make_fellow, outbox):
    fellow = make_fellow()
    for length in (64, 128):
        password = ("lantern orchard pebble river quietly " * 4)[:length]
        assert len(password) == length
        response = _choose(client, _reset_link(client, outbox, fellow), password)
        assert response.status_code == 302, response.get_data(as_text=True)
        client.post("/logout")
        assert auth.login(fellow, password).status_code == 302
        client.post("/logout")


def test_a_password_built_from_ones_own_email_is_refused(app, client, make_fellow, outbox):
    """zxcvbn is given the person's name and email: their own address is guessed at once, though a stranger's
    is not."""
    fellow = make_fellow(joined=False, name="Grace Hopper", email="grace.hopper@example.org")
    stranger = make_fellow(joined=False, name="Ada Byron", email="ada.byron@example.org")
    response = _choose(client, _invitation_link(app, outbox, fellow), "grace.hopper@example.org")
    assert response.status_code == 400
    assert "This password is too easy to guess" in response.get_data(as_text=True)
    assert _choose(client, _invitation_link(app, outbox, stranger), "grace.hopper@example.org").status_code == 302


def test_changing_to_a_common_password_is_refused(login, make_fellow):
    client = login(make_fellow())
    response = _change(client, "password1234")
    assert response.status_code == 400
    assert "This is a very common password" in response.get_data(as_text=True)
    assert _change(client, "x" * 129).status_code == 400
    assert _change(client, NEW_PASSWORD).status_code == 302


def test_users_create_refuses_a_common_password(app, runner):
    result = runner.invoke(args=["users", "create", "boss@example.org", "--name", "Boss"], input="password1234\n")
    assert result.exit_code != 0 and "This is a very common password" in result.output
    result = runner.invoke(args=["users", "create", "boss@example.org", "--name", "Boss"], input="Boss@example.org\n")
    assert result.exit_code != 0 and "too easy to guess" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(User).filter_by(email="boss@example.org")) is None


def test_the_rule_applies_when_choosing_so_demo_and_older_passwords_still_sign_in(app, auth, runner, make_fellow):
    from fellows.demo import FELLOW_EMAIL, ORGANISER_EMAIL

    assert runner.invoke(args=["demo"]).exit_code == 0
    for email in (FELLOW_EMAIL, ORGANISER_EMAIL):
        assert auth.login(email, DEMO_PASSWORD).status_code == 302
        auth.logout()
    # An account whose password predates the rule (10 characters, common) still signs in.
    fellow = make_fellow()
    with app.app_context():
        db.session.get(User, fellow.id).set_password("password12")
        db.session.commit()
    assert auth.login(fellow, "password12").status_code == 302


def test_password_fields_describe_the_rule(client, make_fellow, outbox):
    page = client.get(_reset_link(client, outbox, make_fellow()), follow_redirects=True).get_data(as_text=True)
    assert "12 to 128 characters, not a common password" in page


# Emails about changes to the account ---------------------------------------------------------------------


def _secure_link_in(message) -> str:
    assert "/password/forgot" in message.sent_text and "/password/forgot" in message.sent_html
    return link_in(message, "/password/forgot")


def test_changing_the_password_emails_the_account_with_a_link_to_secure_it(client, login, make_fellow, outbox):
    fellow = make_fellow(name="Ada Lovelace", email="ada@example.org")
    assert _change(login(fellow), NEW_PASSWORD).status_code == 302
    [message] = outbox(kind="security_change")
    assert message.to_address == "ada@example.org" and message.user_id == fellow.id
    assert "password of your" in message.subject
    assert "Dear Ada Lovelace" in message.sent_text and "If it was not" in message.sent_text
    assert NEW_PASSWORD not in message.sent_text + message.sent_html
    assert client.get(_secure_link_in(message)).status_code == 200


def test_a_reset_emails_the_account_but_joining_does_not(app, client, make_fellow, outbox):
    fellow = make_fellow(email="reset@example.org")
    assert _choose(client, _reset_link(client, outbox, fellow), NEW_PASSWORD).status_code == 302
    [message] = outbox(kind="security_change")
    assert message.to_address == "reset@example.org" and "password" in message.subject
    client.post("/logout")
    newcomer = make_fellow(joined=False)
    assert _choose(client, _invitation_link(app, outbox, newcomer), NEW_PASSWORD).status_code == 302
    assert [m.to_address for m in outbox(kind="security_change")] == ["reset@example.org"]  # nothing new


def test_a_refused_password_sends_no_email(login, make_fellow, outbox):
    client = login(make_fellow())
    assert _change(client, "password1234").status_code == 400
    assert _change(client, NEW_PASSWORD, current="not my password").status_code == 400
    assert outbox(kind="security_change") == []


def _edit_data(email: str) -> dict:
    return {"email": email, "name": "Ada Lovelace", "fellow_status": "current", "visibility": "fellows"}


def test_an_organiser_changing_an_address_emails_the_old_one(app, login, make_organiser, make_fellow, outbox):
    fellow = make_fellow(name="Ada Lovelace", email="ada.old@example.org")
    organiser = login(make_organiser())
    response = organiser.post(f"/organiser/fellows/{fellow.id}/edit", data=_edit_data("ada.new@example.org"))
    assert response.status_code == 302
    [message] = outbox(kind="security_change")
    assert message.to_address == "ada.old@example.org"
    assert "email address of your" in message.subject
    assert "ada.new@example.org" in message.sent_text and "ada.old@example.org" in message.sent_text
    _secure_link_in(message)
    # Saving the profile again without a new address sends nothing more.
    organiser.post(f"/organiser/fellows/{fellow.id}/edit", data=_edit_data("ada.new@example.org"))
    assert len(outbox(kind="security_change")) == 1


def test_correcting_the_address_of_someone_not_yet_joined_tells_nobody(login, make_organiser, make_fellow, outbox):
    """Before joining, the old address may be a stranger's, mistyped: it is not told the new one."""
    fellow = make_fellow(joined=False, email="ada@exmaple.org")
    organiser = login(make_organiser())
    response = organiser.post(f"/organiser/fellows/{fellow.id}/edit", data=_edit_data("ada@example.org"))
    assert response.status_code == 302
    assert outbox(kind="security_change") == []


# Sessions -------------------------------------------------------------------------------------------------


def _sign_in_remembered(client, fellow):
    assert client.post("/login", data={"email": fellow.email, "password": PASSWORD, "remember": "y"}).status_code == 302


def test_keep_me_signed_in_lasts_30_days(client, make_fellow):
    _sign_in_remembered(client, make_fellow())
    cookie = client.get_cookie("remember_token")
    lifetime = cookie.expires - utcnow()
    assert timedelta(days=29, hours=23) < lifetime <= timedelta(days=30), lifetime
    assert "30 days at most" in client.application.test_client().get("/login").get_data(as_text=True)


def test_no_sign_in_is_accepted_after_30_days_whatever_the_browser_keeps(app, client, make_fellow, monkeypatch):
    """A remember-me cookie kept past its expiry (or copied), or a browser left open: after 30 days, sign in again."""
    import fellows.auth
    import fellows.models

    def travel(later: timedelta) -> None:
        for module in (fellows.auth, fellows.models):  # checking sign-ins, and stamping new ones
            monkeypatch.setattr(module, "utcnow", lambda: signed_in + later)

    fellow = make_fellow()
    _sign_in_remembered(client, fellow)
    copies = {name: client.get_cookie(name).value for name in ("session", "remember_token")}

    def copy_client(*names):
        other = app.test_client()
        for name in names:
            other.set_cookie(name, copies[name])
        return other

    signed_in = utcnow()
    travel(timedelta(days=29))
    assert client.get("/account").status_code == 200
    assert copy_client("remember_token").get("/account").status_code == 200
    travel(timedelta(days=30, minutes=1))
    for names in (("session",), ("remember_token",), ("session", "remember_token")):
        assert copy_client(*names).get("/account").status_code == 302, names
    assert client.get("/account").status_code == 302
    assert client.post("/login", data={"email": fellow.email, "password": PASSWORD}).status_code == 302
    assert client.get("/account").status_code == 200  # signing in again starts a new 30 days


def test_the_account_page_signs_out_every_device(app, login, make_fellow):
    fellow = make_fellow()
    laptop, phone = login(fellow), login(fellow)
    remembered = app.test_client()
    _sign_in_remembered(remembered, fellow)
    remembered.delete_cookie("session")  # only the remember-me cookie is left, as after the browser closes
    page = laptop.get("/account").get_data(as_text=True)
    assert "Sign out on every device" in page and 'action="/logout"' in page
    response = laptop.post("/logout", follow_redirects=True)
    assert "You have signed out on every device." in response.get_data(as_text=True)
    for client in (laptop, phone, remembered):
        assert client.get("/account").status_code == 302


def test_signing_out_everywhere_needs_a_csrf_token(csrf_app, make_fellow):
    client = csrf_app.test_client()
    _sign_in_with_csrf(client, make_fellow())
    assert client.post("/logout").status_code == 400
    assert client.get("/account").status_code == 200  # still signed in


def _sign_in_with_csrf(client, fellow):
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": fellow.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
