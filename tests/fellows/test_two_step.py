"""Two-step sign-in (TOTP): enrolment with a QR code, the code step, one-use codes and recovery codes,
remembered devices, switching off, organisers who must enrol, and the emails and audit entries it makes."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from core.models import AuditEntry
from core.sealing import open_seal
from extensions import db
from fellows.models import RecoveryCode, User
from tests.conftest import PASSWORD, link_in
from tests.events_helpers import text_of


def _secret(page) -> str:
    return re.search(r'<code id="two-step-key">([A-Z2-7 ]+)</code>', page.get_data(as_text=True))[1].replace(" ", "")


def _code(secret: str, offset_steps: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.at(time.time() + offset_steps * totp.interval)


def _enrol(client) -> tuple[str, list[str]]:
    """Switch two-step on for the signed-in ``client``; returns the secret and the recovery codes shown."""
    secret = _secret(client.get("/account/two-step"))
    # The previous step's code (the clock may drift a step): the current one stays free for signing in.
    shown = client.post("/account/two-step/on", data={"code": _code(secret, offset_steps=-1)})
    assert shown.status_code == 200
    codes = re.findall(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", shown.get_data(as_text=True))
    return secret, codes


def _sign_in(client, user, **extra):
    return client.post("/login", data={"email": user.email, "password": PASSWORD, **extra})


@pytest.fixture
def enrolled(app, login, make_fellow):
    fellow = make_fellow()
    client = login(fellow)
    secret, codes = _enrol(client)
    client.post("/logout")
    return fellow, secret, codes


def test_enrolment_shows_a_qr_code_and_switches_on_only_with_a_right_code(app, login, make_fellow, outbox):
    fellow = make_fellow()
    client = login(fellow)
    page = client.get("/account/two-step")
    assert page.status_code == 200 and "<svg" in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    secret = _secret(page)
    assert _secret(client.get("/account/two-step")) == secret  # the same key across reloads until confirmed

    wrong = client.post("/account/two-step/on", data={"code": "000000" if _code(secret) != "000000" else "111111"})
    assert wrong.status_code == 400 and "That code does not match" in text_of(wrong)
    with app.app_context():
        assert db.session.get(User, fellow.id).has_two_step is False

    secret, codes = _enrol(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    with app.app_context():
        user = db.session.get(User, fellow.id)
        assert user.has_two_step and secret not in (user.two_step_secret or "")  # sealed, not in clear
        assert open_seal(user.two_step_secret)["secret"] == secret
        stored = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
        assert len(stored) == 10 and not {c.replace("-", "") for c in codes} & set(stored)
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "two_step.on"))
    assert [m.kind for m in outbox(kind="security_change")] == ["security_change"]
    assert "two-step sign-in" in outbox(kind="security_change")[0].subject
    assert "On since" in text_of(client.get("/account/two-step"))


def test_signing_in_asks_for_the_code_and_refuses_a_wrong_one(app, client, enrolled):
    fellow, secret, _ = enrolled
    answer = _sign_in(client, fellow)
    assert answer.status_code == 302 and answer.headers["Location"] == "/login/code"
    assert client.get("/account").status_code == 302  # not signed in yet
    wrong = client.post("/login/code", data={"code": "12345x"})
    assert wrong.status_code == 400 and "That code is not right" in text_of(wrong)
    right = client.post("/login/code", data={"code": _code(secret)})
    assert right.status_code == 302
    assert client.get("/account").status_code == 200


def test_a_code_works_once_and_the_clock_may_drift_a_step(app, client, enrolled, login):
    fellow, secret, _ = enrolled
    _sign_in(client, fellow)
    code = _code(secret)
    assert client.post("/login/code", data={"code": code}).status_code == 302
    other = app.test_client()
    _sign_in(other, fellow)
    assert other.post("/login/code", data={"code": code}).status_code == 400  # seen once, refused again
    assert other.post("/login/code", data={"code": _code(secret, offset_steps=1)}).status_code == 302


def test_a_recovery_code_signs_in_once(client, enrolled, app):
    fellow, _, codes = enrolled
    _sign_in(client, fellow)
    assert client.post("/login/code", data={"code": codes[0].upper()}).status_code == 302
    client.post("/logout")
    _sign_in(client, fellow)
    assert client.post("/login/code", data={"code": codes[0]}).status_code == 400
    assert "8 unused recovery codes" in text_of(
        (client.post("/login/code", data={"code": codes[1]}), client.get("/account/two-step"))[1]
    )


def test_the_code_step_is_throttled_per_account(app, client, enrolled):
    fellow, secret, _ = enrolled
    _sign_in(client, fellow)
    statuses = [client.post("/login/code", data={"code": "999999x"}).status_code for _ in range(6)]
    assert statuses[:5] == [400] * 5 and statuses[5] == 429
    assert client.post("/login/code", data={"code": _code(secret)}).status_code == 429


def test_the_code_step_waits_only_so_long(app, client, enrolled):
    fellow, secret, _ = enrolled
    _sign_in(client, fellow)
    with client.session_transaction() as session:
        pending = session["two_step_pending"]
        pending["at"] -= app.config["MFA_PENDING_MINUTES"] * 60 + 1
        session["two_step_pending"] = pending
    late = client.post("/login/code", data={"code": _code(secret)})
    assert late.status_code == 302 and late.headers["Location"] == "/login"
    assert client.get("/login/code").headers["Location"] == "/login"  # no code step without a password


def test_a_remembered_device_skips_the_code_until_the_devices_are_forgotten(app, client, enrolled):
    fellow, secret, _ = enrolled
    _sign_in(client, fellow)
    signed = client.post("/login/code", data={"code": _code(secret), "remember_device": "y"})
    assert "two_step_device=" in signed.headers["Set-Cookie"] and "HttpOnly" in signed.headers["Set-Cookie"]
    client.post("/logout")
    assert _sign_in(client, fellow).headers["Location"] == "/"  # no code asked on this device
    other = app.test_client()
    assert _sign_in(other, fellow).headers["Location"] == "/login/code"  # another device is asked

    assert client.post("/account/two-step/forget-devices").status_code == 302
    client.post("/logout")
    assert _sign_in(client, fellow).headers["Location"] == "/login/code"


def test_a_reset_link_does_not_pass_the_second_step(app, client, enrolled, outbox):
    fellow, secret, _ = enrolled
    client.post("/password/forgot", data={"email": fellow.email})
    link = link_in(outbox(kind="password_reset")[-1], "/password/reset/")
    client.get(link)
    new = "a different passphrase, twelve+"
    done = client.post("/password/reset", data={"password": new, "confirm": new})
    assert done.status_code == 302 and done.headers["Location"] == "/login/code"
    assert client.get("/account").status_code == 302  # the mailbox alone does not sign in
    assert client.post("/login/code", data={"code": _code(secret)}).status_code == 302
    assert client.get("/account").status_code == 200


def test_switching_off_needs_the_password_and_a_code_and_tells_the_owner(app, login, make_fellow, outbox):
    fellow = make_fellow()
    client = login(fellow)
    secret, _ = _enrol(client)
    refused = client.post("/account/two-step/off", data={"off-password": "wrong password", "off-code": _code(secret)})
    assert refused.status_code == 400 and "current password is not right" in text_of(refused)
    done = client.post("/account/two-step/off", data={"off-password": PASSWORD, "off-code": _code(secret)})
    assert done.status_code == 302
    with app.app_context():
        user = db.session.get(User, fellow.id)
        assert not user.has_two_step and user.two_step_secret is None
        assert db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == fellow.id)).all() == []
    assert len(outbox(kind="security_change")) == 2
    client.post("/logout")
    assert _sign_in(client, fellow).headers["Location"] == "/"


def test_new_recovery_codes_replace_the_old(app, login, make_fellow):
    fellow = make_fellow()
    client = login(fellow)
    _, old = _enrol(client)
    made = client.post("/account/two-step/codes", data={"codes-password": PASSWORD, "codes-code": old[0]})
    assert made.status_code == 200
    new = re.findall(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", made.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    client.post("/logout")
    _sign_in(client, fellow)
    assert client.post("/login/code", data={"code": old[1]}).status_code == 400
    assert client.post("/login/code", data={"code": new[0]}).status_code == 302


def test_an_organiser_switches_it_off_for_a_fellow_who_lost_their_phone(app, client, enrolled, login, make_organiser):
    fellow, _, _ = enrolled
    organiser = login(make_organiser())
    assert "Switch off two-step sign-in" in text_of(organiser.get(f"/organiser/fellows/{fellow.id}/edit"))
    assert organiser.post(f"/organiser/fellows/{fellow.id}/two-step/off").status_code == 302
    assert _sign_in(client, fellow).headers["Location"] == "/"
    with app.app_context():
        assert db.session.scalar(select(AuditEntry.summary).where(AuditEntry.action == "two_step.reset"))


def test_the_command_line_switches_it_off_for_an_organiser_who_lost_their_phone(
    app, client, login, make_organiser, outbox
):
    """No organiser page can strip another organiser's second step; someone with the server can."""
    organiser = make_organiser()
    _enrol(login(organiser))
    runner = app.test_cli_runner()
    done = runner.invoke(args=["users", "two-step-off", organiser.email.upper()])
    assert done.exit_code == 0 and "Two-step sign-in is off" in done.output
    signed_in = client.post("/login", data={"email": organiser.email, "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/"
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "two_step.reset")).one()
        assert entry.actor_name == "command line" and entry.actor_id is None
    assert len(outbox(kind="security_change")) == 2  # switched on, then off
    again = runner.invoke(args=["users", "two-step-off", organiser.email])
    assert again.exit_code == 0 and "already off" in again.output
    unknown = runner.invoke(args=["users", "two-step-off", "nobody@example.org"])
    assert unknown.exit_code != 0 and "There is no account for nobody@example.org" in unknown.output


def test_organisers_must_enrol_when_the_deployment_requires_it(app, login, make_organiser):
    app.config["REQUIRE_ORGANISER_MFA"] = True
    client = login(make_organiser())
    sent = client.get("/organiser/events")
    assert sent.status_code == 302 and sent.headers["Location"] == "/account/two-step"
    assert client.get("/events").status_code == 200  # other pages still work
    _enrol(client)
    assert client.get("/organiser/events").status_code == 200
