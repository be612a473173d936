"""Writes that two requests may race to make: the second finds the row instead of failing.

A check ("is there an organisation with this name?") followed by an insert leaves a window in which
another request inserts the same row, and the unique constraint then fails the slower request with
an IntegrityError (a 500, and its whole save lost). ``INSERT … ON CONFLICT DO NOTHING`` closes the
window on both databases: PostgreSQL waits for the other transaction and then inserts nothing;
SQLite serialises writers, so the later one sees the row and inserts nothing.

Where a whole save (a solved timetable, an import) cannot be one such insert, ``commit_or_retry``
runs it, and when it breaks one of the unique constraints it names — another request made the same
row a moment ago — rolls all of it back and runs it once more, as a slower request would have run:
it then sees the other request's rows and gives the answer that request would have had.

``lock_row`` serialises requests that count rows and then add one (a limit per fellow).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from core.errors import ServiceError
from extensions import db

__all__ = ["ConflictError", "commit_or_retry", "insert_missing", "lock_row", "violated_constraint"]

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
#: SQLite names the table and columns, not the constraint: "UNIQUE constraint failed: travel_times.place_a, …".
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<columns>[\w., ]+)")
#: Runs of the save before giving up with ConflictError: each retry sees the rows that beat the last one.
ATTEMPTS = 3


class ConflictError(ServiceError):
    """Other requests kept making the same rows; the view answers 409 with the message."""


def insert_missing(model: type, rows: list[dict]) -> int:
    """Insert the rows that do not clash with a unique constraint; the number inserted.

    The caller then reads the rows back (its own or the other request's) with an ordinary query.
    """
    if not rows:
        return 0
    insert = _INSERTS[db.session.get_bind().dialect.name]
    # preserve_rowcount: SQLAlchemy 2.1 reports no rowcount for an INSERT on PostgreSQL without it (-1).
    result = db.session.execute(
        insert(model).values(rows).on_conflict_do_nothing(), execution_options={"preserve_rowcount": True}
    )
    return result.rowcount


def violated_constraint(error: IntegrityError) -> str | None:
    """The name (as the metadata's naming convention gives it) of the unique or primary key constraint
    that ``error`` broke, or None for any other integrity error (a foreign key, a check, NOT NULL)."""
    diag = getattr(error.orig, "diag", None)
    if diag is not None:  # psycopg
        return diag.constraint_name if getattr(error.orig, "sqlstate", None) == "23505" else None
    match = _SQLITE_UNIQUE.search(str(error.orig))
    if match is None:
        return None
    columns = [part.strip().split(".") for part in match["columns"].split(",")]
    table = db.metadata.tables.get(columns[0][0])
    if table is None:
        return None
    names = [column for _, column in columns]
    for constraint in table.constraints:
        if getattr(constraint, "columns", None) is not None and [c.name for c in constraint.columns] == names:
            if constraint.__visit_name__ in ("unique_constraint", "primary_key_constraint"):
                return str(constraint.name)
    for index in table.indexes:
        if index.unique and [c.name for c in index.columns] == names:
            return str(index.name)
    return None


def commit_or_retry[T](save: Callable[[], T], constraints: Collection[str], *, attempts: int = ATTEMPTS) -> T:
    """Run ``save`` and commit; its result.

    When the save (a flush inside it, or the commit) breaks one of the named unique constraints,
    another request has just committed the same row: everything this one did is rolled back (nothing
    half-saved, no queued email) and ``save`` runs again, so it sees that row and answers as a slower
    request would have — a redirect to what exists, or the service's own refusal. Any other integrity
    error is a bug and is raised; after ``attempts`` runs, ConflictError.
    """
    for _ in range(attempts):
        try:
            result = save()
            db.session.commit()
            return result
        except IntegrityError as error:
            db.session.rollback()
            if violated_constraint(error) not in constraints:
                raise
    raise ConflictError("Somebody else was saving the same thing at the same moment. Reload the page and try again.")


def lock_row(model: type, row_id: int) -> None:
    """Hold the row of ``model`` with ``row_id`` until the transaction ends: a second request that locks
    it waits here, and then counts what the first one committed.

    PostgreSQL takes the row lock (SELECT … FOR UPDATE). SQLite has no row locks, and its reads take
    none until the first write: an UPDATE that changes nothing takes the database's write lock, as the
    booking lock does (events.bookings.services.lock_event), and waits up to busy_timeout for it.
    """
    table = model.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(table.c.id).where(table.c.id == row_id).with_for_update())
    else:
        db.session.execute(text(f"UPDATE {table.name} SET id = id WHERE id = :id"), {"id": row_id})  # noqa: S608
