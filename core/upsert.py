"""Inserts that two requests may race to make: the second finds the row instead of failing.

A check ("is there an organisation with this name?") followed by an insert leaves a window in which
another request inserts the same row, and the unique constraint then fails the slower request with
an IntegrityError (a 500, and its whole save lost). ``INSERT … ON CONFLICT DO NOTHING`` closes the
window on both databases: PostgreSQL waits for the other transaction and then inserts nothing;
SQLite serialises writers, so the later one sees the row and inserts nothing.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite

from extensions import db

__all__ = ["insert_missing"]

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_missing(model: type, rows: list[dict]) -> int:
    """Insert the rows that do not clash with a unique constraint; the number inserted.

    The caller then reads the rows back (its own or the other request's) with an ordinary query.
    """
    if not rows:
        return 0
    insert = _INSERTS[db.session.get_bind().dialect.name]
    result = db.session.execute(insert(model).values(rows).on_conflict_do_nothing())
    return result.rowcount
