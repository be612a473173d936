"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from config import normalise_database_url
from extensions import db


def _fresh_database_url(tmp_path):
    """A brand-new empty database of the kind the suite runs on; returns (url, cleanup)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / 'migrated.sqlite'}", lambda: None
    server = make_url(normalise_database_url(url))
    name = f"migrations_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def cleanup():
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return server.set(database=name).render_as_string(hide_password=False), cleanup


def test_upgrade_builds_the_schema_the_models_describe(tmp_path):
    url, cleanup = _fresh_database_url(tmp_path)
    try:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            with db.engine.connect() as connection:
                context = MigrationContext.configure(connection, opts={"compare_type": True})
                differences = compare_metadata(context, db.metadata)
            tables = set(db.inspect(db.engine).get_table_names())
            db.engine.dispose()
        assert differences == [], "models and migrations differ: run `flask db migrate`"
        assert {"users", "events", "bookings", "outbox_messages"} <= tables
    finally:
        cleanup()


def test_demo_data_is_idempotent(app, runner):
    command = ["demo"]
    from fellows.models import User

    first = runner.invoke(args=command)
    assert first.exit_code == 0, first.output
    assert "organiser@example.org" in first.output
    with app.app_context():
        counts = {table.name: db.session.execute(table.select()).all().__len__() for table in db.metadata.sorted_tables}
    second = runner.invoke(args=command)
    assert second.exit_code == 0, second.output
    with app.app_context():
        again = {table.name: db.session.execute(table.select()).all().__len__() for table in db.metadata.sorted_tables}
        assert db.session.scalar(db.select(db.func.count(User.id)).where(User.role == "fellow")) >= 12
    assert again == counts


def test_feed_addresses_made_before_tokens_were_hashed_keep_working(tmp_path):
    """0022 keeps only a hash of each personal feed token: the address a person subscribed to still opens
    her feed, and the token itself is no longer in the database."""
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from fellows.models import User

    url, cleanup = _fresh_database_url(tmp_path)
    try:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(revision="0021_solve_reasons")
            users = sa.Table("users", sa.MetaData(), autoload_with=db.engine)
            samples = {sa.String: "x", sa.Integer: 1, sa.Boolean: False, sa.DateTime: datetime.now(UTC), sa.JSON: []}
            row = {
                column.name: next(value for kind, value in samples.items() if isinstance(column.type, kind))
                for column in users.columns
                if not column.nullable and not column.primary_key and column.server_default is None
            }
            token = "an-address-made-before-0022-" + "k" * 15
            row.update(email="ada@example.org", role="fellow", name="Ada", fellow_status="current")
            row.update(visibility="fellows")
            row.update(active=True, calendar_token=token)
            with db.engine.begin() as connection:
                connection.execute(users.insert().values(**row))
            upgrade()
            with db.engine.connect() as connection:
                stored = " ".join(map(str, connection.execute(sa.text("SELECT * FROM users")).one()))
            assert token not in stored
            from events.calendar.tokens import find_feed_owner

            owner = find_feed_owner(token)
            assert owner is not None and owner.email == "ada@example.org"
            assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1
            db.session.remove()
            db.engine.dispose()
    finally:
        cleanup()
