"""``flask --app app backup`` and ``flask --app app restore``: a copy of the whole database, taken while
the app is serving, and put back.

SQLite uses Python's online backup API (``sqlite3.Connection.backup``): the copy is made in one step
under a read lock, so it is one consistent moment of the database even while other connections write
(their commits wait for the copy, at most ``busy_timeout``, or land after it). PostgreSQL uses
``pg_dump --format=custom`` (one transaction's snapshot) and ``pg_restore``; the client tools must be
installed and not older than the server.

A backup is written next to its final name and renamed only once it has been checked (``PRAGMA
integrity_check``, or ``pg_restore --list``), so a file with the final name is always a whole backup.
Backups hold everything the app holds about people: they are created readable by their owner only.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import click
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import inspect
from sqlalchemy.engine import URL

from core import audit
from core.caching import new_generation
from core.errors import ServiceError
from core.models import AuditEntry, utcnow
from extensions import db

#: How long a backup or restore of SQLite waits for a writer's lock before giving up (seconds).
SQLITE_LOCK_TIMEOUT = 30


class BackupError(ServiceError):
    """A backup or restore that could not be made; the message says why and is fit to print."""


@dataclass(frozen=True)
class Database:
    """The configured database, as the backup tools need to reach it."""

    #: "sqlite" or "postgresql".
    kind: str
    #: How messages name it: the SQLite file, or the PostgreSQL URL without its password.
    shown: str
    #: The SQLite database file (SQLite only).
    file: Path | None = None
    #: A libpq connection URL without the password (PostgreSQL only).
    libpq_url: str | None = None
    #: The password, handed to pg_dump and pg_restore in their environment, never on the command line.
    password: str | None = None


def configured_database() -> Database:
    """The database the app is configured to use (inside an application context)."""
    url: URL = db.engine.url
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:" or url.database.startswith("file::memory:"):
            raise BackupError("The configured SQLite database is in memory: there is no file to back up.")
        file = Path(url.database).resolve()
        return Database("sqlite", str(file), file=file)
    if backend == "postgresql":
        # libpq knows no "+psycopg" driver part; the password travels in PGPASSWORD instead of argv.
        libpq_url = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
        return Database(
            "postgresql",
            url.set(drivername="postgresql").render_as_string(hide_password=True),
            libpq_url=libpq_url,
            password=url.password,
        )
    raise BackupError(f"Backups support SQLite and PostgreSQL, not {backend}.")


def default_backup_path(database: Database, now: datetime | None = None) -> Path:
    """``instance/backups/fellowship-<UTC timestamp>.<sqlite|dump>``."""
    stamp = (now or utcnow()).strftime("%Y%m%dT%H%M%SZ")
    suffix = "sqlite" if database.kind == "sqlite" else "dump"
    return Path(current_app.instance_path) / "backups" / f"fellowship-{stamp}.{suffix}"


def back_up(target: Path, database: Database | None = None) -> int:
    """Write a checked backup of the configured database to ``target``; returns its size in bytes.

    Safe while the app is serving. Refuses to overwrite an existing file."""
    database = database or configured_database()
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} already exists: choose another path or move it away first.")
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    # Created readable by its owner only before anything is written into it.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    os.chmod(partial, 0o600)
    try:
        if database.kind == "sqlite":
            _sqlite_copy(database.file, partial)
            _check_sqlite(partial)
        else:
            _run_pg("pg_dump", "--format=custom", f"--file={partial}", database=database)
            _list_pg_dump(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target.stat().st_size


def check_backup(source: Path, database: Database | None = None) -> None:
    """Raise BackupError unless ``source`` is a whole backup, of the configured kind, of this app's data."""
    database = database or configured_database()
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"There is no backup file at {source}.")
    if database.kind == "sqlite":
        tables = _check_sqlite(source)
    else:
        tables = _list_pg_dump(source)
    if not tables & set(db.metadata.tables):
        raise BackupError(f"{source} holds none of this app's tables: it is not a backup of this app.")


def restore(source: Path, database: Database | None = None, *, checked: bool = False) -> None:
    """Replace everything in the configured database with the backup at ``source``, which is checked
    first unless the caller has just done so (``checked``).

    Stop the app first: whatever it wrote during the restore would be lost or land on the restored data,
    and on PostgreSQL pg_restore waits for every open transaction on the tables it replaces."""
    database = database or configured_database()
    if not checked:
        check_backup(source, database)
    # The app's own pooled connections would hold locks (and SQLite file handles) across the swap.
    db.session.remove()
    db.engine.dispose()
    if database.kind == "sqlite":
        _sqlite_copy(Path(source), database.file)
    else:
        # One transaction: a restore that fails part-way leaves the database as it was.
        _run_pg(
            "pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", str(source), database=database
        )


def migration_state() -> str:
    """A sentence on the Alembic revision of the data now in the database, against this code's newest."""
    with db.engine.connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
    migrate = current_app.extensions["migrate"]
    scripts = ScriptDirectory.from_config(migrate.migrate.get_config(migrate.directory))
    newest = scripts.get_current_head()
    if revision is None:
        return "The restored data records no Alembic revision (it was not made by `flask db upgrade`)."
    if revision == newest:
        return f"The restored data is at Alembic revision {revision}, the newest this code knows: nothing to upgrade."
    try:
        scripts.get_revision(revision)
    except CommandError:
        return (
            f"The restored data is at Alembic revision {revision}, which this code does not know (newer code made "
            f"it): run the code it came from, or restore an older backup."
        )
    return (
        f"The restored data is at Alembic revision {revision}, behind this code's {newest}: "
        "run `flask --app app db upgrade` now."
    )


# SQLite ---------------------------------------------------------------------------------------------


def _open_sqlite(file: Path, *, read_only: bool = False) -> sqlite3.Connection:
    if read_only:
        return sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True, timeout=SQLITE_LOCK_TIMEOUT)
    return sqlite3.connect(file, timeout=SQLITE_LOCK_TIMEOUT)


def _sqlite_copy(source: Path | None, target: Path | None) -> None:
    """Copy a whole SQLite database with the online backup API, in one step under the source's read lock
    (copied in several steps, every write by another connection would restart it)."""
    assert source is not None and target is not None
    try:
        with closing(_open_sqlite(source, read_only=True)) as reading, closing(_open_sqlite(target)) as writing:
            reading.backup(writing)
    except sqlite3.Error as error:
        raise BackupError(f"The SQLite copy failed: {error}.") from error


def _check_sqlite(file: Path) -> set[str]:
    """``PRAGMA integrity_check`` on a SQLite file; returns the names of its tables."""
    try:
        with closing(_open_sqlite(file, read_only=True)) as connection:
            problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error as error:
        raise BackupError(f"{file} is not a readable SQLite database ({error}).") from error
    if problems != ["ok"]:
        raise BackupError(f"{file} fails SQLite's integrity check: " + "; ".join(problems[:5]))
    return tables


# PostgreSQL -----------------------------------------------------------------------------------------


def _run_pg(tool: str, *arguments: str, database: Database) -> str:
    """Run pg_dump or pg_restore against the configured database; its output, or a BackupError."""
    return _run_tool(tool, f"--dbname={database.libpq_url}", *arguments, password=database.password)


def _list_pg_dump(file: Path) -> set[str]:
    """Read a custom-format dump's table of contents (which checks it is one); its table names."""
    contents = _run_tool("pg_restore", "--list", str(file), what=f"{file} is not a readable pg_dump archive")
    return set(re.findall(r"^\d+; \d+ \d+ TABLE \S+ (\S+) ", contents, flags=re.MULTILINE))


def _run_tool(tool: str, *arguments: str, password: str | None = None, what: str | None = None) -> str:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(
            f"{tool} is not installed (or not on PATH). Install PostgreSQL's client tools, no older than the "
            "server (on Debian: apt-get install postgresql-client)."
        )
    environment = dict(os.environ)
    if password is not None:
        environment["PGPASSWORD"] = password
    try:
        # A fixed tool with fixed flags, the configured URL and a path, as a list: no shell to inject into.
        command = [executable, *arguments]
        finished = subprocess.run(command, capture_output=True, text=True, env=environment)  # noqa: S603
    except OSError as error:
        raise BackupError(f"{tool} could not be run: {error}.") from error
    if finished.returncode != 0:
        detail = finished.stderr.strip() or f"exit status {finished.returncode}"
        raise BackupError(f"{what or tool + ' failed'}: {detail}")
    return finished.stdout


# Commands -------------------------------------------------------------------------------------------


def _size(count: int) -> str:
    if count < 1000:
        return f"{count} bytes"
    size = float(count)
    for unit in ("kB", "MB", "GB"):
        size /= 1000
        if size < 1000 or unit == "GB":
            break
    return f"{size:.1f} {unit}"


@contextmanager
def _clear_errors() -> Iterator[None]:
    """A BackupError ends the command with its message and exit status 1, never a traceback."""
    try:
        yield
    except BackupError as error:
        raise click.ClickException(str(error)) from error


@click.command("backup")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path | None) -> None:
    """Back up the whole database to PATH (default: instance/backups/fellowship-<UTC time>.<sqlite|dump>).

    Safe while the app is serving. SQLite: the online backup API, then an integrity check. PostgreSQL:
    pg_dump --format=custom (its client tools must be installed)."""
    with _clear_errors():
        database = configured_database()
        target = path or default_backup_path(database)
        size = back_up(target, database)
    audit.record(None, "backup.made", f"{target.name} ({_size(size)})")
    db.session.commit()
    click.echo(f"Backed up {database.shown} to {target} ({_size(size)}).")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Really replace everything in the configured database.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace everything in the configured database with the backup at PATH (stop the app first).

    SQLite: the online backup API into the database file. PostgreSQL: pg_restore --clean --if-exists
    --no-owner, in one transaction."""
    with _clear_errors():
        database = configured_database()
        check_backup(path, database)
        if not yes:
            raise BackupError(
                f"Nothing restored. This would replace everything in {database.shown} with the backup {path}. "
                "Stop the app, then run the command again with --yes."
            )
        restore(path, database, checked=True)
    db.session.remove()
    new_generation()  # the data changed outside SQLAlchemy: no shared page may be answered from before
    if inspect(db.engine).has_table(AuditEntry.__tablename__):  # a backup older than the audit log has none
        audit.record(None, "backup.restored", f"Everything replaced by {path.name}")
        db.session.commit()
    click.echo(f"Restored {database.shown} from {path}.")
    click.echo(migration_state())
