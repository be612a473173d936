"""Sign-in throttling counts every attempt, whichever worker answers it (issue 13, defect 6).

With REDIS_URL set, Flask-Limiter keeps its counters in Redis. Two gunicorn servers (two worker
processes that share nothing but Redis and the database, as two machines would) take turns answering
failed sign-ins for one address: only the first five get through, exactly as with one worker.
"""

from __future__ import annotations

import os
import uuid

import pytest

from tests.conftest import database_url
from tests.servers import browser, gunicorn, post_form

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_or_skip(url: str = REDIS_URL) -> None:
    """Redis at ``url`` answers, or the test skips (off CI) or fails (on CI) saying so."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        message = f"Redis at {url} is not reachable ({error.__class__.__name__}): start redis-server"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _sqlite_file_or_test_database(app) -> str:
    return database_url() or app.config["SQLALCHEMY_DATABASE_URI"]


@pytest.mark.parametrize("storage", ["redis", "memory"])
def test_failed_sign_ins_are_counted_across_workers(app, make_fellow, tmp_path, storage):
    """With Redis, five failures in all; with per-process memory (the old recipe), five per worker."""
    if storage == "redis":
        _redis_or_skip()
    fellow = make_fellow(email="ada@example.org")
    environment = {"RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    environment |= {"REDIS_URL": REDIS_URL} if storage == "redis" else {"RATELIMIT_STORAGE_URI": "memory://"}
    url = _sqlite_file_or_test_database(app)
    with (
        gunicorn(url, tmp_path / "one.log", workers=1, **environment) as first,
        gunicorn(url, tmp_path / "two.log", workers=1, **environment) as second,
    ):
        answers = []
        for attempt in range(12):
            opener = browser(first if attempt % 2 == 0 else second)
            answers.append(post_form(opener, "/login", {"email": fellow.email, "password": "wrong password"}))
    expected_failures = 5 if storage == "redis" else 10
    assert answers.count(400) == expected_failures, answers
    assert answers.count(429) == 12 - expected_failures, answers
