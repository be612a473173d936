"""Unsubscribe links for optional emails (announcements of new events, reminders, write-ups): they work
without signing in, from any mail client, and as RFC 8058 one-click unsubscribes (List-Unsubscribe-Post).

The token is the person's id and the kind of email, signed with SECRET_KEY (itsdangerous, under a salt of its
own) and timed: it cannot be forged or pointed at someone else, and it stops working UNSUBSCRIBE_LINK_DAYS
after the email was sent (each email carries a fresh one, so a link keeps working that long whatever
preferences change in between).
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from core.urls import external_url
from extensions import db
from fellows.models import User

#: Separates these signatures from any other the app makes with the same key.
SALT = "unsubscribe"
#: What a link can stop: the preference it switches off, and how the page names the emails.
KINDS = {
    "new_events": ("notify_new_events", "emails about new events that match your interests"),
    "reminders": ("notify_reminders", "reminders of events you have a place at"),
    "writeups": ("notify_writeups", "emails when a write-up of an event you attended is published"),
}


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def unsubscribe_token(user: User, what: str = "new_events") -> str:
    assert what in KINDS, what
    return _serializer().dumps({"user": user.id, "what": what})


def unsubscribe_link(user: User, what: str = "new_events") -> str:
    """The absolute link that switches off ``what`` (a key of KINDS) for ``user``."""
    return external_url("auth.unsubscribe", token=unsubscribe_token(user, what))


def link_for_token(token: str) -> tuple[User, str] | None:
    """The person a genuine, unexpired token names and what it stops, or None (forged, altered, expired,
    or the account is gone)."""
    if not token or len(token) > 200:
        return None
    try:
        data = _serializer().loads(token, max_age=current_app.config["UNSUBSCRIBE_LINK_DAYS"] * 86400)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("what") not in KINDS or not isinstance(data.get("user"), int):
        return None
    user = db.session.get(User, data["user"])
    return (user, data["what"]) if user is not None else None


def stop(user: User, what: str) -> None:
    """Switch the emails off (flushes)."""
    setattr(user, KINDS[what][0], False)
    db.session.flush()
