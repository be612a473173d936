"""The signed-in person, read from the database once per change rather than once per request.

Every signed-in request starts by loading its user (Flask-Login's ``user_loader``); through the ORM that
is about 0.8 ms on PostgreSQL, a fifth of a simple page. Each process keeps the column values of the users
it has recently served, under the shared cache's *generation* (``core.caching``): every commit that writes
what pages show — a password change or a sign-out (the session version), a deactivation, a new name, in
any process on any machine — makes a new generation, and a process that sees a new generation forgets
every user it kept. The generation is read before the user, so a value is only ever kept under a token
that was current before it was read, never a newer one.

Only where the generation is shared by every process (Redis, or one test process): with a per-process
cache, a password changed through another worker would go unseen, so each request reads its user from the
database as before. And a kept user is read again after ``KEPT_SECONDS`` whatever the generation says, so
that a new generation lost to a Redis failure (``core.caching`` logs it) cannot keep a signed-out session
alive for longer than that.
"""

from __future__ import annotations

import copy
import time

from flask import current_app
from sqlalchemy import inspect
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from core.caching import shared_generation
from extensions import db
from fellows.models import User

#: Users kept per process between two changes; beyond it the oldest half is dropped.
MOST_KEPT = 2000
#: A kept user is read again after this long, even if no change was announced.
KEPT_SECONDS = 60
_COLUMNS = [attribute.key for attribute in inspect(User).column_attrs]


def load(user_id: int) -> User | None:
    """The user with ``user_id``, in the current session: from this process's copy when nothing has changed
    since it was read, else from the database."""
    generation = shared_generation()
    if generation is None:
        return db.session.get(User, user_id)
    kept_generation, kept = current_app.extensions.get("kept_users", (None, {}))
    if kept_generation != generation:
        kept = {}
        current_app.extensions["kept_users"] = (generation, kept)
    read_at, values = kept.get(user_id, (0.0, None))
    if values is not None and time.monotonic() - read_at < KEPT_SECONDS:
        return _attached(user_id, values)
    user = db.session.get(User, user_id)
    if user is not None:
        if len(kept) >= MOST_KEPT:
            for old in list(kept)[: MOST_KEPT // 2]:
                kept.pop(old, None)
        kept[user_id] = (time.monotonic(), {key: copy.deepcopy(getattr(user, key)) for key in _COLUMNS})
    return user


def _attached(user_id: int, values: dict) -> User:
    """A persistent ``User`` in the session, its columns as kept, with no query (its relationships load when
    first used, as for any user). A user the session already holds is returned as it is: merging the kept
    values onto it would overwrite changes not yet flushed."""
    held = db.session.identity_map.get(identity_key(User, user_id))
    if held is not None:
        return held
    user = User.__mapper__.class_manager.new_instance()
    for key, value in values.items():
        set_committed_value(user, key, copy.deepcopy(value))
    make_transient_to_detached(user)
    return db.session.merge(user, load=False)  # load=False: no SELECT
