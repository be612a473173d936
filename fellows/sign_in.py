"""What the sign-in pages share (the password step in ``fellows.auth``, the code step in
``fellows.two_step.views``): starting a fresh session, signing in, and the half-way state between the steps."""

from __future__ import annotations

from flask import abort, current_app, flash, request, session
from flask_login import login_user

from core.caching import unseen_by_cached_answers
from core.models import utcnow
from core.permissions import KEPT_ACROSS_SIGN_IN
from core.throttling import Failures
from extensions import db
from fellows.models import User

#: Who has given the right password and is asked for a code: {"user", "at", "remember", "next"}.
PENDING = "two_step_pending"


def renew_session() -> None:
    """A new session at sign-in: nothing put in the session before it (by this browser, or planted in it)
    carries over, except what is deliberately kept for after signing in (core.permissions.KEPT_ACROSS_SIGN_IN)."""
    kept = {key: value for key, value in session.items() if key.startswith(KEPT_ACROSS_SIGN_IN)}
    session.clear()
    session.update(kept)


def sign_in(user: User, *, remember: bool) -> None:
    """Sign ``user`` in, in a new session, and commit (the time of the sign-in is kept)."""
    renew_session()
    login_user(user, remember=remember)
    user.last_login_at = utcnow()
    with unseen_by_cached_answers():  # shown only on the organisers' own page for the fellow
        db.session.commit()
    flash(f"Signed in as {user.display_name}.", "success")


def await_code(user: User, *, remember: bool, next_url: str) -> None:
    """The password was right and the account has two-step sign-in: nobody is signed in yet, and the
    next step asks for a code, for at most MFA_PENDING_MINUTES."""
    renew_session()
    session[PENDING] = {"user": user.id, "at": int(utcnow().timestamp()), "remember": remember, "next": next_url}


def awaiting_code() -> tuple[User, dict] | None:
    """The account waiting for its code, and the pending state, or None (none, or waited too long)."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("user"), int):
        return None
    if utcnow().timestamp() - pending.get("at", 0) > current_app.config["MFA_PENDING_MINUTES"] * 60:
        session.pop(PENDING, None)
        return None
    user = db.session.get(User, pending["user"])
    if user is None or not user.active or not user.has_two_step:
        session.pop(PENDING, None)
        return None
    return user, pending


#: Wrong current passwords on the account pages (changing the password or two-step sign-in, deleting the account).
PASSWORD_CHECK_FAILURES = Failures("password-check", "PASSWORD_CHECK_RATE_LIMIT")


def check_current_password(user: User, password: str) -> bool:
    """The account page's check of the current password, throttled per account and per address."""
    address = request.remote_addr or ""
    if PASSWORD_CHECK_FAILURES.exceeded(str(user.id)) or PASSWORD_CHECK_FAILURES.exceeded(address):
        abort(
            429,
            f"Too many wrong passwords. Wait {PASSWORD_CHECK_FAILURES.minutes()} minutes and try again, or sign "
            "out and reset your password by email.",
        )
    if user.check_password(password):
        return True
    PASSWORD_CHECK_FAILURES.failed(str(user.id))
    PASSWORD_CHECK_FAILURES.failed(address)
    return False
