"""Bulk inserts through the app's models, for the generators."""

from __future__ import annotations

from extensions import db


def insert_rows(model, rows: list[dict], *, ids: bool = False) -> list[int]:
    """A bulk INSERT into the model's table (its columns, types and defaults; no ORM objects, which would
    cost ten times as long); with ``ids`` the new ids, in the order of ``rows``."""
    if not rows:
        return []
    table = model.__table__
    if ids:
        return list(db.session.scalars(table.insert().returning(table.c.id, sort_by_parameter_order=True), rows))
    db.session.execute(table.insert(), rows)
    return []


def insert_links(table, rows: list[dict]) -> None:
    """Rows of an association table (no model of its own)."""
    if rows:
        db.session.execute(table.insert(), rows)
