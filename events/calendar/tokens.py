"""Personal calendar feeds: the secret token in a person's feed address, and what the feed includes."""

from __future__ import annotations

import secrets

from sqlalchemy import select, update

from extensions import db
from fellows.models import User


def _new_token() -> str:
    # 256 bits: the feed URL is the only thing protecting the feed, so it must not be guessable.
    return secrets.token_urlsafe(32)


def ensure_calendar_token(user: User) -> str:
    """The person's feed token, made on first use."""
    if not user.calendar_token:
        # Compare-and-set: two tabs opening the page at once agree on one token (the first one set).
        db.session.execute(
            update(User)
            .where(User.id == user.id, User.calendar_token.is_(None))
            .values(calendar_token=_new_token())
            .execution_options(synchronize_session=False)
        )
        db.session.refresh(user, ["calendar_token"])
    return user.calendar_token


def reset_calendar_token(user: User) -> str:
    """Replace the feed token: the old URL stops working at once (for anyone it was shared with)."""
    user.calendar_token = _new_token()
    db.session.flush()
    return user.calendar_token


def find_feed_owner(token: str) -> User | None:
    """The active account whose personal feed ``token`` opens, or None."""
    if not token or len(token) > 64:
        return None
    user = db.session.scalar(select(User).where(User.calendar_token == token))
    if user is None or not user.active:
        return None
    return user


def set_calendar_invitations(user: User, include: bool) -> None:
    """Choose whether the personal feed lists events the person is invited to but has not booked."""
    user.calendar_include_invitations = include
    db.session.flush()
