"""The connection pool survives a restarted database server (issue 23, defect 6): a pooled connection
whose server-side backend has gone is noticed before a request uses it, so nobody sees a 500."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.concurrency import at_the_same_moment
from tests.conftest import database_url

PAGES = ("/", "/events", "/my/bookings")


def test_pooled_connections_are_checked_and_recycled_on_every_database(app):
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["pool_pre_ping"] is True and options["pool_recycle"] == 1800


@pytest.mark.postgres
def test_after_the_server_drops_every_connection_the_next_pages_all_load(app, make_fellow, login):
    if not database_url():
        pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL")
    fellows = [login(make_fellow()) for _ in range(4)]
    # Four requests at once leave four connections in the pool.
    assert at_the_same_moment([lambda c=c: c.get("/events") for c in fellows]) == [200] * 4

    # What a server restart does to them: every backend of this test database ends (not our own).
    killer = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with killer.connect() as connection:
            ended = connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).all()
    finally:
        killer.dispose()
    assert len(ended) >= 2, "the pool held connections to end"

    statuses = [fellow.get(page).status_code for fellow in fellows for page in PAGES]
    assert statuses == [200] * len(statuses)
    assert at_the_same_moment([lambda c=c: c.get("/") for c in fellows]) == [200] * 4
