"""Signing in and out, throttling, password resets, invitations and password changes."""

import json
from datetime import timedelta

import pytest

from core.models import utcnow
from extensions import db
from fellows.models import AccountToken, User
from tests.conftest import PASSWORD, link_in

NEW_PASSWORD = "a brand new passphrase"


def test_sign_in_and_out(client, auth, make_fellow):
    fellow = make_fellow(name="Ada Lovelace")
    response = auth.login(fellow)
    assert response.status_code == 302
    assert "Ada Lovelace" in client.get("/").get_data(as_text=True)
    assert client.post("/logout").status_code == 302
    assert "Sign in" in client.get("/").get_data(as_text=True)


def test_email_is_matched_without_regard_to_case(auth, make_fellow):
    fellow = make_fellow(email="mixed@example.org")
    assert auth.login(" MIXED@Example.org ").status_code == 302, fellow


def test_logout_requires_post(client, auth, make_fellow):
    auth.login(make_fellow())
    assert client.get("/logout").status_code == 405


@pytest.mark.parametrize("email", ["nobody@example.org", "known@example.org"])
def test_failed_sign_in_never_says_whether_the_email_exists(auth, make_fellow, email):
    make_fellow(email="known@example.org")
    response = auth.login(email, "wrong password!")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "The email address or password is not right" in text


@pytest.mark.parametrize("email", ["nobody@example.org", "not.joined@example.org", "known@example.org"])
def test_a_password_is_checked_against_a_hash_whether_or_not_the_email_has_an_account(
    auth, make_fellow, monkeypatch, email
):
    """Sign-in timing cannot tell who has an account: the same hash check runs for every email."""
    import fellows.services

    make_fellow(email="known@example.org")
    make_fellow(email="not.joined@example.org", joined=False)
    real, checked = fellows.services.check_password_hash, []
    monkeypatch.setattr(fellows.services, "check_password_hash", lambda *args: checked.append(args) or real(*args))
    page = auth.login(email, "wrong password!").get_data(as_text=True)
    assert len(checked) == 1 and checked[0][0].startswith("scrypt:")
    assert "The email address or password is not right" in page


def test_deactivated_and_uninvited_accounts_cannot_sign_in(auth, make_fellow):
    inactive = make_fellow(active=False)
    not_joined = make_fellow(joined=False)
    assert auth.login(inactive).status_code == 400
    assert auth.login(not_joined).status_code == 400


def test_repeated_failed_sign_ins_are_throttled(app, auth, make_fellow):
    fellow = make_fellow()
    codes = [auth.login(fellow, "wrong password!").status_code for _ in range(6)]
    assert codes[:5] == [400] * 5
    assert codes[5] == 429
    # Even the right password is refused while throttled.
    response = auth.login(fellow)
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)


def test_next_only_redirects_within_the_site(client, make_fellow):
    fellow = make_fellow()
    data = {"email": fellow.email, "password": PASSWORD}
    assert client.post("/login?next=/fellows", data=data).headers["Location"] == "/fellows"
    client.post("/logout")
    assert client.post("/login?next=//evil.example/x", data=data).headers["Location"] == "/"


def _request_reset(client, email):
    return client.post("/password/forgot", data={"email": email})


def test_password_reset_link_works_once(app, client, auth, make_fellow, outbox):
    fellow = make_fellow()
    response = _request_reset(client, fellow.email)
    assert response.status_code == 200
    [message] = outbox(kind="password_reset")
    link = link_in(message, "/password/reset/")
    assert client.get(link, follow_redirects=True).status_code == 200
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    client.post("/logout")
    assert auth.login(fellow, PASSWORD).status_code == 400
    assert auth.login(fellow, NEW_PASSWORD).status_code == 302
    client.post("/logout")
    # Reuse is refused.
    assert client.get(link, follow_redirects=True).status_code == 404
    assert (
        client.post(link, data={"password": "another one please", "confirm": "another one please"}).status_code == 404
    )


def test_password_reset_answers_the_same_for_unknown_emails(client, make_fellow, outbox):
    make_fellow(email="known@example.org")
    known = _request_reset(client, "known@example.org").get_data(as_text=True)
    unknown = _request_reset(client, "unknown@example.org").get_data(as_text=True)
    assert known.replace("known@", "X@") == unknown.replace("unknown@", "X@")
    # One email either way (the same work, so the same time): a link for the account, a note for the other.
    [reset] = outbox(to_address="known@example.org")
    [note] = outbox(to_address="unknown@example.org")
    assert reset.kind == "password_reset" and note.kind == "password_reset_no_account"
    assert "no account that can sign in uses this address" in note.text_body
    assert "/password/reset/" not in note.text_body


def test_expired_and_tampered_reset_links_are_refused(app, client, make_fellow, outbox):
    fellow = make_fellow()
    _request_reset(client, fellow.email)
    link = link_in(outbox()[0], "/password/reset/")
    assert client.get(link[:-2] + ("AA" if not link.endswith("AA") else "BB")).status_code == 404
    with app.app_context():
        record = db.session.scalar(db.select(AccountToken))
        record.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = client.get(link, follow_redirects=True)
    assert response.status_code == 404
    assert "expired" in response.get_data(as_text=True)


def test_a_newer_reset_link_replaces_the_older_one(client, make_fellow, outbox):
    fellow = make_fellow()
    _request_reset(client, fellow.email)
    _request_reset(client, fellow.email)
    first, second = (link_in(m, "/password/reset/") for m in outbox())
    assert client.get(first, follow_redirects=True).status_code == 404
    assert client.get(second, follow_redirects=True).status_code == 200


def test_reset_form_rejects_short_or_mismatched_passwords(client, make_fellow, outbox):
    fellow = make_fellow()
    _request_reset(client, fellow.email)
    link = link_in(outbox()[0], "/password/reset/")
    response = client.post(link, data={"password": "short", "confirm": "short"})
    assert response.status_code == 400
    assert "Use at least 12 characters" in response.get_data(as_text=True)
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert "The passwords do not match" in response.get_data(as_text=True)
    assert client.get(link, follow_redirects=True).status_code == 200  # a failed attempt does not spend the link


def test_invitation_sets_a_password_and_lands_on_the_profile(app, client, auth, make_fellow, make_organiser, outbox):
    organiser = make_organiser()
    fellow = make_fellow(joined=False, name="Grace Hopper")
    with app.app_context():
        from fellows.services import invite_fellow

        invite_fellow(db.session.get(User, fellow.id), db.session.get(User, organiser.id))
        db.session.commit()
    [message] = outbox(kind="invitation")
    assert "7 days" in message.text_body
    link = link_in(message, "/invitation/")
    page = client.get(link, follow_redirects=True)
    assert "Grace Hopper" in page.get_data(as_text=True)
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "consent": "y"})
    assert response.headers["Location"] == "/profile/edit"
    assert client.get("/profile/edit").status_code == 200
    client.post("/logout")
    assert client.get(link, follow_redirects=True).status_code == 404  # single use
    assert auth.login(fellow, NEW_PASSWORD).status_code == 302


def test_expired_invitation_is_refused(app, client, make_fellow, outbox):
    fellow = make_fellow(joined=False)
    with app.app_context():
        from fellows.services import invite_fellow

        invite_fellow(db.session.get(User, fellow.id), None)
        db.session.commit()
        record = db.session.scalar(db.select(AccountToken))
        assert record.expires_at - record.created_at == timedelta(days=7)
        record.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    link = link_in(outbox()[0], "/invitation/")
    assert (
        client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "consent": "y"}).status_code == 404
    )
    with app.app_context():
        assert db.session.get(User, fellow.id).password_hash is None


def test_an_invitation_token_cannot_reset_a_password(app, client, make_fellow, outbox):
    fellow = make_fellow(joined=False)
    with app.app_context():
        from fellows.services import invite_fellow

        invite_fellow(db.session.get(User, fellow.id), None)
        db.session.commit()
    token = link_in(outbox()[0], "/invitation/").rsplit("/", 1)[1]
    assert client.get(f"/password/reset/{token}").status_code == 404


def test_changing_password_signs_out_other_sessions(app, login, make_fellow):
    fellow = make_fellow()
    laptop, phone = login(fellow), login(fellow)
    assert phone.get("/account").status_code == 200
    response = laptop.post(
        "/account",
        data={
            "password-current_password": PASSWORD,
            "password-password": NEW_PASSWORD,
            "password-confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert laptop.get("/account").status_code == 200  # this session carries on
    assert phone.get("/account").status_code == 302  # the other one is signed out
    with app.app_context():
        assert db.session.get(User, fellow.id).check_password(NEW_PASSWORD)


def test_changing_password_needs_the_current_one(login, make_fellow):
    client = login(make_fellow())
    response = client.post(
        "/account",
        data={
            "password-current_password": "not my password",
            "password-password": NEW_PASSWORD,
            "password-confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 400
    assert "Your current password is not right" in response.get_data(as_text=True)


def test_passwords_are_stored_with_a_modern_hash(app, runner):
    result = runner.invoke(
        args=["users", "create", "boss@example.org", "--name", "Boss", "--role", "organiser"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(email="boss@example.org"))
        assert user.role == "organiser"
        assert user.password_hash.startswith(("scrypt:", "pbkdf2:sha256:", "$argon2"))
        assert "a long enough password" not in user.password_hash


def test_users_create_refuses_duplicates_and_short_passwords(runner, make_fellow):
    make_fellow(email="taken@example.org")
    result = runner.invoke(args=["users", "create", "TAKEN@example.org", "--name", "X"], input="long enough pw\n")
    assert result.exit_code != 0 and "already exists" in result.output
    result = runner.invoke(args=["users", "create", "new@example.org", "--name", "X"], input="short\n")
    assert result.exit_code != 0 and "at least 12" in result.output


def test_join_request_then_no_sign_in_before_approval(app, client, auth):
    response = client.post(
        "/join",
        data={
            "name": "Rosalind Franklin",
            "email": "rf@example.org",
            "organisation": "King's College London",
            "reason": "Cohort 2019",
        },
    )
    assert response.status_code == 200
    assert "request has been sent" in response.get_data(as_text=True)
    assert auth.login("rf@example.org", "anything at all").status_code == 400


def test_join_request_form_errors_are_shown(client):
    response = client.post("/join", data={"name": "", "email": "not-an-email", "organisation": "", "reason": ""})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "There is a problem" in text
    assert "Enter an email address like name@example.org" in text


def test_signing_out_ends_copied_session_and_remember_me_cookies(app, client, make_fellow):
    """A session cookie (or the 30-day remember-me cookie) copied before signing out no longer works."""
    fellow = make_fellow()
    assert client.post("/login", data={"email": fellow.email, "password": PASSWORD, "remember": "y"}).status_code == 302
    copies = {name: client.get_cookie(name).value for name in ("session", "remember_token")}

    def copy_client(*names):
        other = app.test_client()
        for name in names:
            other.set_cookie(name, copies[name])
        return other

    assert copy_client("session").get("/profile/edit").status_code == 200  # the copy works while signed in
    response = client.post("/logout", follow_redirects=True)
    assert "You have signed out on every device." in response.get_data(as_text=True)
    for names in (("session",), ("remember_token",), ("session", "remember_token")):
        assert copy_client(*names).get("/profile/edit").status_code == 302, names  # sent to sign in
    assert client.post("/login", data={"email": fellow.email, "password": PASSWORD}).status_code == 302
    assert client.get("/profile/edit").status_code == 200  # signing in again works


def test_a_link_from_an_email_is_swapped_for_the_session_and_a_clean_address(app, client, make_fellow, outbox):
    """The reset link's secret leaves the address bar (history, logs, Referer) on first use: the page is at
    /password/reset, sent with no Referer; another browser at the clean address has nothing to open."""
    fellow = make_fellow()
    _request_reset(client, fellow.email)
    link = link_in(outbox(kind="password_reset")[-1], "/password/reset/")
    opened = client.get(link)
    assert opened.status_code == 302 and opened.headers["Location"] == "/password/reset"
    assert opened.headers["Referrer-Policy"] == "no-referrer"
    assert link.rsplit("/", 1)[1] not in opened.headers.get("Set-Cookie", "")  # kept sealed, not in clear
    page = client.get("/password/reset")
    assert page.status_code == 200 and fellow.email in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer" and "no-store" in page.headers["Cache-Control"]
    assert app.test_client().get("/password/reset").status_code == 404
    new = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert client.post("/password/reset", data=new).status_code == 302
    with app.app_context():
        assert db.session.get(User, fellow.id).check_password(NEW_PASSWORD)
    assert client.get("/password/reset").status_code == 404  # used up, and forgotten


def test_joining_records_consent_and_leaves_optional_emails_off_unless_ticked(app, client, make_fellow, outbox):
    """ASVS 8.3.3: the fellow agrees to the privacy notice when accepting (recorded, with the time, and in
    their data download), cannot join without agreeing, and the optional emails are theirs to switch on."""
    fellow = make_fellow(joined=False, name="Ada Lovelace")
    with app.app_context():
        from fellows.services import invite_fellow

        invite_fellow(db.session.get(User, fellow.id), None)
        db.session.commit()
    link = link_in(outbox(kind="invitation")[0], "/invitation/")
    page = client.get(link, follow_redirects=True).get_data(as_text=True)
    assert 'href="/privacy"' in page and "Optional emails" in page
    refused = client.post("/invitation", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert refused.status_code == 400
    assert "Tick the box to agree to the privacy notice" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, fellow.id).password_hash is None  # nothing saved

    accepted = client.post(
        "/invitation",
        data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "consent": "y", "notify_writeups": "y"},
    )
    assert accepted.status_code == 302
    with app.app_context():
        joined = db.session.get(User, fellow.id)
        assert joined.privacy_consented_at is not None
        assert (joined.notify_reminders, joined.notify_writeups, joined.notify_new_events) == (False, True, False)
    exported = json.loads(client.post("/account/export").get_data(as_text=True))
    assert exported["account"]["privacy_consented_at"]
