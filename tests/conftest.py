"""Fixtures: a fresh database per test (SQLite, or PostgreSQL when TEST_DATABASE_URL is set),
clients, the CLI runner, a sign-in helper and factories for fellows, organisers and events."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text
from werkzeug.security import generate_password_hash

from app import create_app
from extensions import db

# Hypothesis runs a bounded number of examples, so `make test` keeps its time budget; set
# HYPOTHESIS_PROFILE=thorough for a longer hunt.
settings.register_profile("bounded", max_examples=12, deadline=None, derandomize=False, database=None)
settings.register_profile("thorough", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "bounded"))

PASSWORD = "correct horse battery staple"
_PASSWORD_HASH = generate_password_hash(PASSWORD)
_sequence = count(1)


def database_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or ""


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory):
    """Build the schema once per test run; each test then starts from empty tables."""
    from config import normalise_database_url

    url = database_url()
    if url:
        uri = normalise_database_url(url)
        _require_postgres(uri)
    else:
        uri = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            # Tables Alembic made in an earlier run would otherwise survive drop_all().
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
        db.engine.dispose()
    return uri


def _require_postgres(uri: str) -> None:
    """Off CI an unreachable PostgreSQL skips the run with the reason; on CI it is an error."""
    engine = create_engine(uri)
    try:
        with engine.connect():
            pass
    except Exception as error:
        message = f"PostgreSQL at TEST_DATABASE_URL is not reachable: {error.__class__.__name__}: {error}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    finally:
        engine.dispose()


def pytest_report_header(config):
    url = database_url()
    return f"database: {'PostgreSQL (' + url + ')' if url else 'SQLite (set TEST_DATABASE_URL for PostgreSQL)'}"


def _empty_all_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        with db.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        with db.engine.begin() as connection:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture
def app(database_uri, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-that-is-long-enough",
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "WTF_CSRF_ENABLED": False,
            "MAIL_TRANSPORT": "log",
            "MAIL_SEND_ON_COMMIT": False,
            "BASE_URL": "http://localhost",
            "SERVER_NAME": None,
            # As a deployment sets it: /.well-known/security.txt is served (without it, 404).
            "SECURITY_CONTACT": "security@example.org",
            # Each test's app has a cache of its own, even with REDIS_URL in the environment; page caching
            # is on (a test process is one process), so every page test goes through it.
            "CACHE_TYPE": "SimpleCache",
        }
    )
    app.instance_path = str(tmp_path)
    with app.app_context():
        _empty_all_tables()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def csrf_app(app):
    """The same app with CSRF protection switched on, as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    """An application context, for tests that work with models directly."""
    with app.app_context():
        yield


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def make_organisation(app):
    from fellows.models import Organisation

    def factory(name: str | None = None, kind: str = "government", **fields) -> Organisation:
        with app.app_context():
            organisation = Organisation(name=name or f"Organisation {next(_sequence)}", kind=kind, **fields)
            db.session.add(organisation)
            db.session.commit()
            db.session.refresh(organisation)
            db.session.expunge(organisation)
            return organisation

    return factory


@pytest.fixture
def make_user(app):
    """Create an account that can sign in with PASSWORD; returns a detached User."""
    from core.models import Tag, slugify
    from fellows.models import User

    def factory(role: str = "fellow", *, interests: tuple[str, ...] = (), joined: bool = True, **fields):
        n = next(_sequence)
        with app.app_context():
            fields.setdefault("email", f"person{n}@example.org")
            fields.setdefault("name", f"Person {n}")
            fields.setdefault("visibility", "fellows")
            user = User(role=role, password_hash=_PASSWORD_HASH if joined else None, **fields)
            for name in interests:
                tag = db.session.scalar(db.select(Tag).filter_by(name=name))
                user.interests.append(tag or Tag(name=name, slug=slugify(name)))
            db.session.add(user)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return factory


@pytest.fixture
def make_fellow(make_user):
    def factory(**fields):
        fields.setdefault("sector", "government")
        fields.setdefault("cohort", 2024)
        return make_user("fellow", **fields)

    return factory


@pytest.fixture
def make_organiser(make_user):
    return lambda **fields: make_user("organiser", **fields)


@pytest.fixture
def make_event(app):
    """Create an event (published, fellows-only, starting in a week by default); returns its id."""
    from core.models import Tag, slugify
    from events.models import Event

    def factory(*, topics: tuple[str, ...] = (), **fields) -> int:
        n = next(_sequence)
        starts = fields.pop("starts_at", datetime.now(UTC).replace(microsecond=0) + timedelta(days=7))
        fields.setdefault("title", f"Policy lunch {n}")
        fields.setdefault("kind", "lunch")
        fields.setdefault("state", "published")
        fields.setdefault("audience", "fellows")
        fields.setdefault("ends_at", starts + timedelta(hours=2))
        with app.app_context():
            event = Event(starts_at=starts, **fields)
            for name in topics:
                tag = db.session.scalar(db.select(Tag).filter_by(name=name))
                event.topics.append(tag or Tag(name=name, slug=slugify(name)))
            db.session.add(event)
            db.session.commit()
            return event.id

    return factory


@pytest.fixture
def make_expert(app):
    """Add an expert to the network; returns its id."""
    from core.models import Tag, slugify
    from programmes.models import Expert

    def factory(name: str = "Priya Shah", *, topics: tuple[str, ...] = (), **fields) -> int:
        with app.app_context():
            fields.setdefault(
                "email", f"{slugify(name)}-{db.session.scalar(db.select(db.func.count(Expert.id)))}@uni.example"
            )
            expert = Expert(name=name, meeting_mode=fields.pop("meeting_mode", "in_person"), **fields)
            for topic in topics:
                tag = db.session.scalar(db.select(Tag).filter_by(name=topic))
                expert.topics.append(tag or Tag(name=topic, slug=slugify(topic)))
            db.session.add(expert)
            db.session.commit()
            return expert.id

    return factory


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, user_or_email, password: str = PASSWORD, follow: bool = False):
        email = getattr(user_or_email, "email", user_or_email)
        return self.client.post("/login", data={"email": email, "password": password}, follow_redirects=follow)

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def login(app):
    """login(user) → a fresh test client signed in as ``user`` (several users can be signed in at once)."""

    def factory(user):
        client = app.test_client()
        response = Auth(client).login(user)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return factory


@pytest.fixture
def outbox(app):
    """The messages queued in the mail outbox, oldest first.

    ``text_body`` and ``html_body`` are what is stored (single-use links only as placeholders);
    ``sent_text`` and ``sent_html`` are what the recipient gets, links included.
    """
    from core.mail import opened_bodies
    from core.models import OutboxMessage

    def read(**filters):
        with app.app_context():
            query = db.select(OutboxMessage).filter_by(**filters).order_by(OutboxMessage.id)
            messages = db.session.scalars(query).all()
            for message in messages:
                db.session.expunge(message)
                message.sent_text, message.sent_html = opened_bodies(message)
            return messages

    return read


def link_in(message, path_prefix: str) -> str:
    """The first link whose path starts with ``path_prefix`` (made relative) in an email as it is sent
    (an ``outbox()`` message) or in a body of text."""
    text_body = message if isinstance(message, str) else message.sent_text
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"[^\s\"<]*)", text_body)
    assert match, f"no {path_prefix} link in:\n{text_body}"
    return match.group(1)


class _QueryCounter:
    def __init__(self):
        self.count = 0
        self.statements: list[str] = []


def _counting(app):
    """``with counting() as counter:`` counts the SQL statements the app sends meanwhile."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counting():
        counter = _QueryCounter()

        def before(conn, cursor, statement, parameters, context, executemany):
            counter.count += 1
            counter.statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting


@pytest.fixture
def count_queries(app):
    """``with count_queries() as counter:`` counts the SQL statements the app sends meanwhile. A test that
    counts measures the work of building its pages, so signed-in pages are not kept per person here."""
    app.config["PERSONAL_PAGE_SECONDS"] = 0
    return _counting(app)


@pytest.fixture
def count_kept_queries(app):
    """The same, with signed-in pages answered from their kept copies (core.personal_pages), as in service."""
    return _counting(app)
