"""Personal calendar feeds: the secret token in a person's feed address, and what the feed includes.

Only the token's hash is kept (core.lib.tokens), as for joining links: the address is shown to its owner
once, when it is made, and a copy of the database opens no one's feed. Making a new address revokes the old.
"""

from __future__ import annotations

from sqlalchemy import select

from core.lib.tokens import MAX_TOKEN_LENGTH, hash_token, new_token
from extensions import db
from fellows.models import User


def make_calendar_token(user: User) -> str:
    """Give the person's feed a new secret address and return its token, to be shown once.

    Any earlier address stops working at once (for anyone it was shared with)."""
    token = new_token()
    user.calendar_token_hash = hash_token(token)
    db.session.flush()
    return token


def find_feed_owner(token: str) -> User | None:
    """The active account whose personal feed ``token`` opens, or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    user = db.session.scalar(select(User).where(User.calendar_token_hash == hash_token(token)))
    if user is None or not user.active:
        return None
    return user


def set_calendar_invitations(user: User, include: bool) -> None:
    """Choose whether the personal feed lists events the person is invited to but has not booked."""
    user.calendar_include_invitations = include
    db.session.flush()
