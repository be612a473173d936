"""Emails about a person's own account (the invitation and reset emails are queued where their links are
made, in ``fellows.services``)."""

from __future__ import annotations

from flask import current_app

from core.mail import queue_email
from core.models import utcnow
from core.urls import external_url
from fellows.models import User

#: What changed, as the email says it: "The <what> of your account was changed".
SECURITY_CHANGES = {
    "password": "password",
    "email": "email address",
    "two_step": "two-step sign-in",
    "recovery_codes": "set of recovery codes",
}


def notify_security_change(user: User, what: str, *, old_email: str | None = None) -> None:
    """Tell the account's owner that its ``what`` (a key of SECURITY_CHANGES) changed, with a link to secure
    the account (the forgotten-password page) if it was not them (ASVS 2.2.3, 2.5.5).

    A new email address is told to the old one (``old_email``): whoever changed it can read the new one.
    """
    change = SECURITY_CHANGES[what]
    to = old_email if what == "email" and old_email else user.email
    queue_email(
        to,
        f"The {change} of your {current_app.config['APP_NAME']} account was changed",
        "security_change",
        kind="security_change",
        user_id=user.id,
        user=user,
        what=what,
        change=change,
        old_email=old_email,
        changed_at=utcnow(),
        secure_link=external_url("auth.forgot_password"),
    )
