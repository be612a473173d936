"""Building a scaled database and measuring requests through the app in-process (no network): SQL
statements per request, and server time (the median of several runs of Flask's test client)."""

from __future__ import annotations

import contextlib
import cProfile
import io
import pstats
import re
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import flask_migrate
from flask import Flask, before_render_template, template_rendered
from sqlalchemy import event, text

from app import create_app
from bench.pages import Page
from bench.scale import Scaled, scale_up
from core.registry import demo_loaders
from extensions import cache, db
from programmes.cli import refresh_all_embeddings
from programmes.experts.matching import semantic

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "bench-secret-key-0123456789abcdef0123456789"  # noqa: S105 - a throwaway database's


def make_app(uri: str, base_url: str = "http://127.0.0.1:5000") -> Flask:
    """The app as deployed (not in testing mode), on ``uri``, sending no mail. In-process numbers (SQL per
    page, growth, feeds) measure the work of building a page, so this app keeps nothing between requests:
    its cache is its own memory (which ``clear_caches`` empties: never a Redis another app uses), so no
    generation is shared and no page, user or value is kept. The served app (throughput) uses Redis when
    REDIS_URL is set, as a many-machine deployment does."""
    return create_app(
        {
            "SECRET_KEY": SECRET_KEY,
            "SQLALCHEMY_DATABASE_URI": uri,
            "MAIL_SEND_ON_COMMIT": False,
            "BASE_URL": base_url,
            "PAGE_CACHE": False,
            "CACHE_TYPE": "SimpleCache",
            "CACHE_OPTIONS": {},  # REDIS_URL's socket timeouts are Redis's
            "RATELIMIT_STORAGE_URI": "memory://",
            "COSTLY_RATE_LIMIT": "1000000 per minute",  # counted, never refused at the bench's speed
        }
    )


def build(app: Flask, factor: float) -> Scaled:
    """An empty schema by the migrations (as a deployment has it), the demo data, then ``factor`` of a
    large programme, with the experts' embeddings stored."""
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        with contextlib.redirect_stderr(io.StringIO()):  # Alembic's INFO lines
            flask_migrate.upgrade()
        for load in demo_loaders:
            load()
        db.session.commit()
        scaled = scale_up(factor)
        # The experts' stored embeddings, as saving or importing them (or the nightly job) leaves a deployment:
        # bulk inserts bypass that, and the visit page would embed every profile on every request instead.
        if semantic.status() is None:
            refresh_all_embeddings()
            db.session.commit()
        db.session.remove()
    return scaled


def dispose(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def csrf_token(html: str) -> str:
    """The form's CSRF token ("" where the app runs with CSRF checks off, as in most tests)."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    return match.group(1) if match else ""


def sign_in(app: Flask, email: str, password: str):
    """A test client signed in through the sign-in form, CSRF token and all."""
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    if response.status_code != 302:
        raise RuntimeError(f"signing in as {email} answered {response.status_code}")
    return client


def clients(app: Flask, scaled: Scaled) -> dict:
    return {
        None: app.test_client(),
        "fellow": sign_in(app, scaled.fellow_email, scaled.password),
        "organiser": sign_in(app, scaled.organiser_email, scaled.password),
    }


@dataclass
class Count:
    status: int
    queries: int
    size: int


class QueryCounter:
    """Counts the SQL statements sent while active, and keeps each with its parameters."""

    def __init__(self, app: Flask):
        with app.app_context():
            self.engine = db.engine
        self.statements: list[tuple[str, object]] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def _before(self, _conn, _cursor, statement, parameters, _context, _executemany) -> None:
        self.statements.append((statement, parameters))

    def __enter__(self):
        self.statements = []
        event.listen(self.engine, "before_cursor_execute", self._before)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)


def count_queries(app: Flask, by_role: dict, pages: list[Page]) -> dict[str, Count]:
    """SQL statements of each page on a warm request (after one request that fills the caches)."""
    counter = QueryCounter(app)
    result = {}
    for page in pages:
        client = by_role[page.who]
        client.get(page.path)
        with counter:
            response = client.get(page.path)
        result[page.key] = Count(response.status_code, counter.count, len(response.get_data()))
    return result


def server_time(client, path: str, runs: int, *, before_each=None, headers=None) -> tuple[float, int]:
    """(median milliseconds, status) of ``runs`` requests after one warm-up request."""
    response = client.get(path, headers=headers)
    times = []
    for _ in range(runs):
        if before_each:
            before_each()
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), response.status_code


def clear_caches(app: Flask) -> None:
    """Empty every cache a feed is built through, as after a restart with an empty Redis: the shared cache
    (built feeds, VEVENTs, kept values) and this process's memoised functions of the calendar code."""
    import core.lib.ical  # noqa: PLC0415
    import events.calendar.ical as event_ical  # noqa: PLC0415

    with app.app_context():
        cache.clear()
    for module in (core.lib.ical, event_ical):
        for value in vars(module).values():
            if hasattr(value, "cache_clear"):
                value.cache_clear()


@dataclass
class Breakdown:
    """Where one request's time goes, in-process (the run with the median total of several)."""

    total_ms: float
    #: Waiting for the database: from sending each statement to having its rows (the driver's execute).
    sql_ms: float
    statements: int
    #: Rendering templates (Jinja and what it calls), less the SQL sent from inside them (lazy loads).
    templates_ms: float

    @property
    def rest_ms(self) -> float:
        """The view, the ORM turning rows into objects, Flask and its extensions."""
        return max(0.0, self.total_ms - self.sql_ms - self.templates_ms)


class _Stopwatch:
    """Adds up the time of SQL statements and of template rendering while active."""

    def __init__(self, app: Flask):
        self.app = app
        with app.app_context():
            self.engine = db.engine
        self.reset()

    def reset(self) -> None:
        self.sql = self.in_templates_sql = self.templates = 0.0
        self.statements = 0
        self._sql_started = self._template_started = None

    def _before_sql(self, *_args) -> None:
        self._sql_started = time.perf_counter()

    def _after_sql(self, *_args) -> None:
        spent = time.perf_counter() - self._sql_started
        self.sql += spent
        self.statements += 1
        if self._template_started is not None:
            self.in_templates_sql += spent

    def _before_template(self, *_args, **_kwargs) -> None:
        self._template_started = time.perf_counter()

    def _after_template(self, *_args, **_kwargs) -> None:
        if self._template_started is not None:
            self.templates += time.perf_counter() - self._template_started
            self._template_started = None

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._before_sql)
        event.listen(self.engine, "after_cursor_execute", self._after_sql)
        before_render_template.connect(self._before_template, self.app)
        template_rendered.connect(self._after_template, self.app)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before_sql)
        event.remove(self.engine, "after_cursor_execute", self._after_sql)
        before_render_template.disconnect(self._before_template, self.app)
        template_rendered.disconnect(self._after_template, self.app)


def breakdown(app: Flask, by_role: dict, pages: list[Page], runs: int = 7) -> dict[str, Breakdown]:
    """For each page, the in-process time of a warm request split into SQL, templates and the rest."""
    result = {}
    watch = _Stopwatch(app)
    with watch:
        for page in pages:
            client = by_role[page.who]
            client.get(page.path)
            samples = []
            for _ in range(runs):
                watch.reset()
                started = time.perf_counter()
                client.get(page.path)
                total = time.perf_counter() - started
                templates = watch.templates - watch.in_templates_sql
                samples.append(Breakdown(total * 1000, watch.sql * 1000, watch.statements, templates * 1000))
            samples.sort(key=lambda sample: sample.total_ms)
            result[page.key] = samples[len(samples) // 2]
    return result


@dataclass
class Cost:
    """One function's own time (not counting what it calls) in a profile of a page."""

    where: str
    ms: float  # per request
    share: float  # of the whole profile


def _where(function: tuple[str, int, str]) -> str:
    filename, line, name = function
    if filename == "~":  # a built-in: "<method 'execute' of 'psycopg2.extensions.cursor' objects>"
        return name.strip("<>")
    for marker in ("site-packages/", "lib/python3"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    else:
        filename = filename.replace(str(ROOT) + "/", "")
    return f"{filename}:{line} {name}"


def profile_top(app: Flask, by_role: dict, pages: list[Page], runs: int = 7, top: int = 5) -> dict[str, list[Cost]]:
    """For each signed-in page, the ``top`` functions with the most time of their own over ``runs`` warm
    requests, by cProfile (which slows pure-Python code more than C, so read the order, not the milliseconds)."""
    result = {}
    for page in pages:
        if not page.signed_in:
            continue
        client = by_role[page.who]
        client.get(page.path)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(runs):
            client.get(page.path)
        profiler.disable()
        stats = pstats.Stats(profiler)
        own = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:top]  # type: ignore[attr-defined]
        total = stats.total_tt or 1.0  # type: ignore[attr-defined]
        result[page.key] = [Cost(_where(function), tt * 1000 / runs, tt / total) for function, (_, _, tt, _, _) in own]
    return result


def sequential_scans(app: Flask, by_role: dict, pages: list[Page]) -> tuple[dict[str, list[str]], dict[str, int]]:
    """PostgreSQL only: for each page, the tables its statements read whole (``Seq Scan`` in the plan of each
    statement of a warm request, by ``EXPLAIN`` with the same parameters); and the rows of those tables."""
    counter = QueryCounter(app)
    scans: dict[str, list[str]] = {}
    for page in pages:
        client = by_role[page.who]
        client.get(page.path)
        with counter:
            client.get(page.path)
        tables: set[str] = set()
        with app.app_context():
            cursor = db.session.connection().connection.driver_connection.cursor()
            for statement, parameters in counter.statements:
                cursor.execute("EXPLAIN " + statement, parameters)
                plan = [line for (line,) in cursor.fetchall()]
                tables |= {line.split("Seq Scan on ", 1)[1].split()[0] for line in plan if "Seq Scan on " in line}
            db.session.remove()
        scans[page.key] = sorted(tables)
    rows = {}
    with app.app_context():
        for table in sorted({table for found in scans.values() for table in found}):
            rows[table] = db.session.scalar(text(f'SELECT count(*) FROM "{table}"'))  # noqa: S608 - names from plans
        db.session.remove()
    return scans, rows
