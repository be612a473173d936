"""Unsubscribe links for optional emails: they work without signing in, from any mail client.

The token is the person's id signed with SECRET_KEY (itsdangerous, under a salt of its own), so it
cannot be forged or pointed at someone else; it never expires, as a link in an old email must still work.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from core.urls import external_url
from extensions import db
from fellows.models import User

#: Separates these signatures from any other the app makes with the same key.
SALT = "unsubscribe-new-events"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def unsubscribe_token(user: User) -> str:
    return _serializer().dumps({"user": user.id})


def unsubscribe_link(user: User) -> str:
    """The absolute link that switches off announcements of new events for ``user``."""
    return external_url("auth.unsubscribe", token=unsubscribe_token(user))


def user_for_token(token: str) -> User | None:
    """The person a genuine token names, or None (forged, altered, or the account is gone)."""
    if not token or len(token) > 200:
        return None
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    user_id = data.get("user") if isinstance(data, dict) else None
    return db.session.get(User, user_id) if isinstance(user_id, int) else None
