"""``flask backup`` and ``flask restore`` (issue 13): a backup taken while the app is writing is whole and
consistent, and restoring it brings the data back as the app shows it; refusals and bad files say why."""

from __future__ import annotations

import re
import sqlite3
import stat
import threading
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from events.models import Event
from extensions import db
from fellows.demo import DEMO_PASSWORD, FELLOW_EMAIL
from fellows.models import User
from fellows.services import delete_account
from tests.conftest import PASSWORD, Auth, database_url

OLDER_REVISION = "0003"


def _load_demo(runner) -> None:
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output


def _can_sign_in(app, email: str = FELLOW_EMAIL, password: str = DEMO_PASSWORD) -> bool:
    response = Auth(app.test_client()).login(email, password)
    return response.status_code == 302


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _change_everything(app, make_event, email: str = FELLOW_EMAIL) -> int:
    """Delete a fellow (the demo one unless told) and add an event, as a day's use would; the event's id."""
    with app.app_context():
        delete_account(db.session.scalar(select(User).where(User.email == email)))
        db.session.commit()
    return make_event(title="Added after the backup")


@pytest.fixture
def stamped(app):
    """Record an older Alembic revision in the database (the suite builds it with create_all), and take
    the table away again afterwards, since the schema is shared by the whole run."""
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
        connection.execute(text("INSERT INTO alembic_version VALUES (:revision)"), {"revision": OLDER_REVISION})
    yield OLDER_REVISION
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def _assert_restored(app, result, backup: Path, added_event: int, fellows: int) -> None:
    """What a user sees after a restore: the message, the deleted fellow signs in, the new event is gone."""
    assert result.exit_code == 0, result.output
    assert f"from {backup}" in result.output
    assert f"revision {OLDER_REVISION}, behind" in result.output
    assert "run `flask --app app db upgrade`" in result.output
    assert _can_sign_in(app)
    with app.app_context():
        assert db.session.get(Event, added_event) is None
    assert _count(app, User) == fellows


@pytest.mark.sqlite
def test_sqlite_backup_while_another_connection_writes_is_consistent_and_restores(
    app, runner, make_event, tmp_path, stamped
):
    if database_url():
        pytest.skip("needs SQLite: `make test` runs it in the SQLite pass (the PostgreSQL pass tests pg_dump)")
    _load_demo(runner)
    with app.app_context():
        database = Path(db.engine.url.database)
    assert database.is_file(), "the SQLite test needs a database file, not one in memory"
    people = _count(app, User)

    # The app "serving": another connection keeps committing pairs of tags, each pair in one transaction.
    commits: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()
    enough = threading.Condition()

    def keep_writing() -> None:
        try:
            with closing(sqlite3.connect(database, timeout=30)) as connection:
                n = 0
                while not stop.is_set():
                    with connection:  # one transaction, committed on leaving
                        for half in "ab":
                            connection.execute(
                                "INSERT INTO tags (name, slug) VALUES (?, ?)", (f"Load {n} {half}", f"load-{n}-{half}")
                            )
                    n += 1
                    with enough:
                        commits.append(n)
                        enough.notify_all()
                    # A pause between transactions, as between requests: SQLite hands the write lock to no one
                    # in particular, and a loop that takes it back at once can starve the backup's audit entry
                    # past its 30-second busy timeout on a loaded machine.
                    stop.wait(0.005)
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)

    def wait_for(count: int) -> None:
        with enough:
            assert enough.wait_for(lambda: len(commits) >= count or errors, timeout=30), "the writer stalled"

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        wait_for(20)
        backup = tmp_path / "backups" / "while-writing.sqlite"
        result = runner.invoke(args=["backup", str(backup)])
        wait_for(len(commits) + 20)  # and the app went on writing after it
    finally:
        stop.set()
        writer.join()
    assert not errors, errors
    assert result.exit_code == 0, result.output
    # The size is in kB or MB: the shared test database may have grown under earlier tests.
    assert re.search(rf"to {re.escape(str(backup))} \(\d+(\.\d+)? [kM]B\)", result.output), result.output
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600, "a backup holds personal data: its owner only"

    with closing(sqlite3.connect(f"{backup.as_uri()}?mode=ro", uri=True)) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert copy.execute("SELECT count(*) FROM users").fetchone()[0] == people
        loaded = [slug for (slug,) in copy.execute("SELECT slug FROM tags WHERE slug LIKE 'load-%'")]
    pairs = len(loaded) // 2
    # One moment of the database: whole transactions only, every one committed before it, none after.
    assert sorted(loaded) == sorted(f"load-{n}-{half}" for n in range(pairs) for half in "ab")
    assert 20 <= pairs < len(commits)

    added_event = _change_everything(app, make_event)
    assert not _can_sign_in(app)
    result = runner.invoke(args=["restore", str(backup), "--yes"])
    _assert_restored(app, result, backup, added_event, people)
    with app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM tags WHERE slug LIKE 'load-%'")) == 2 * pairs


@pytest.fixture
def fellow(make_fellow):
    """Enough data for the refusals (the demo data is for the round trips): a fellow who can sign in."""
    return make_fellow(email="rosa.achebe@example.org")


def test_backup_goes_to_instance_backups_by_default_and_never_overwrites(app, runner, fellow):
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    [written] = (Path(app.instance_path) / "backups").iterdir()
    assert written.name.startswith("fellowship-") and written.suffix in {".sqlite", ".dump"}
    assert str(written) in result.output
    assert stat.S_IMODE(written.stat().st_mode) == 0o600

    again = runner.invoke(args=["backup", str(written)])
    assert again.exit_code == 1
    assert "already exists" in again.output and "Traceback" not in again.output
    assert list(written.parent.iterdir()) == [written], "no partial file is left behind"


def test_restore_without_yes_changes_nothing_and_says_why(app, runner, make_event, tmp_path, fellow):
    backup = tmp_path / "before.backup"
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    added_event = _change_everything(app, make_event, fellow.email)

    result = runner.invoke(args=["restore", str(backup)])
    assert result.exit_code == 1
    assert "Nothing restored" in result.output and "--yes" in result.output
    with app.app_context():
        name = db.engine.url.database  # the SQLite file, or the PostgreSQL database
    assert name in result.output, "it names the database it would overwrite"
    assert not _can_sign_in(app, fellow.email, PASSWORD)
    with app.app_context():
        assert db.session.get(Event, added_event) is not None


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        ("missing", "There is no backup file at"),
        ("not a backup", "is not a readable"),
        ("cut short", "is not a readable"),
    ],
)
def test_a_missing_or_damaged_backup_is_refused_with_a_message(
    app, runner, make_event, tmp_path, fellow, problem, message
):
    backup = tmp_path / "damaged.backup"
    if problem == "not a backup":
        backup.write_bytes(b"These are the minutes of the meeting, not a database.\n" * 100)
    elif problem == "cut short":
        assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
        whole = backup.read_bytes()
        backup.write_bytes(whole[: len(whole) // 2])
    added_event = _change_everything(app, make_event, fellow.email)

    result = runner.invoke(args=["restore", str(backup), "--yes"])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), "a message, not a traceback"
    assert "Traceback" not in result.output
    assert f"Error: {backup} {message}" in result.output or f"Error: {message} {backup}" in result.output
    assert not _can_sign_in(app, fellow.email, PASSWORD), "the database is as it was"
    with app.app_context():
        assert db.session.get(Event, added_event) is not None


# PostgreSQL ------------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_postgresql_backup_with_pg_dump_and_restore_with_pg_restore(app, runner, make_event, tmp_path, stamped):
    if not database_url():
        pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL")
    _load_demo(runner)
    people = _count(app, User)
    backup = tmp_path / "fellowship.dump"
    result = runner.invoke(args=["backup", str(backup)])
    assert result.exit_code == 0, result.output
    assert f"to {backup} (" in result.output
    assert "Backed up postgresql://" in result.output, "the URL as libpq takes it, without +psycopg"
    password = make_url(database_url()).password
    assert not password or password not in result.output

    added_event = _change_everything(app, make_event)
    assert not _can_sign_in(app)
    result = runner.invoke(args=["restore", str(backup), "--yes"])
    _assert_restored(app, result, backup, added_event, people)


@pytest.mark.postgres
def test_without_pg_dump_the_backup_says_what_to_install(app, runner, tmp_path, monkeypatch):
    if not database_url():
        pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = runner.invoke(args=["backup", str(tmp_path / "fellowship.dump")])
    assert result.exit_code == 1
    assert "pg_dump is not installed" in result.output and "postgresql-client" in result.output
    assert not list(tmp_path.glob("fellowship.dump*"))
