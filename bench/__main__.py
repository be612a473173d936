"""``make bench`` (``python -m bench``): how the calendar feed and the events page scale.

Builds a throwaway database (SQLite in a temporary folder, and PostgreSQL too when TEST_DATABASE_URL
is set — in a separate ``<name>_bench`` database when the server allows creating one), fills it in
steps and times requests through the app in-process (no network), then prints tables and writes
docs/BENCHMARKS.md. Times are medians of several runs; each size is compared with a small baseline
measured in the same run on the same machine, so the ratios matter more than the milliseconds.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from config import normalise_database_url  # noqa: E402
from core.models import Tag, slugify  # noqa: E402
from events.calendar import ical  # noqa: E402
from events.calendar.feeds import feed_cache  # noqa: E402
from events.models import Event, Speaker  # noqa: E402
from extensions import db  # noqa: E402
from fellows.models import Organisation  # noqa: E402

TOPICS = ["AI", "Climate", "Energy", "Health", "Housing", "Justice", "Education", "Trade", "Space", "Water"]


@dataclass
class Result:
    database: str
    name: str
    size: int
    runs: int
    median_ms: float
    queries: int
    status: int
    note: str = ""


def _add_events(app, start_index: int, count: int) -> None:
    """``count`` published public events with two speakers and two topics each, from two months ago on."""
    with app.app_context():
        tags = {tag.name: tag for tag in db.session.scalars(db.select(Tag))}
        for name in TOPICS:
            if name not in tags:
                tags[name] = Tag(name=name, slug=slugify(name))
        host = db.session.scalar(db.select(Organisation)) or Organisation(name="Bench Institute", kind="university")
        base = datetime.now(UTC).replace(microsecond=0, second=0, minute=30, hour=12) - timedelta(days=60)
        for n in range(start_index, start_index + count):
            starts = base + timedelta(days=n % 900, hours=(n % 3) * 2)
            item = Event(
                title=f"Policy lunch {n}: data, ethics; and the state",
                kind="lunch",
                summary="A lunch discussion with questions from the floor.",
                description="We will discuss **evidence** in policy making.\n\nBring your questions; all welcome.",
                starts_at=starts,
                ends_at=starts + timedelta(hours=1, minutes=30),
                venue_name=f"Room {n % 12}",
                venue_address="70 Whitehall, London SW1A 2AS",
                audience="public",
                state="cancelled" if n % 50 == 0 else "published",
                host=host,
            )
            item.topics = [tags[TOPICS[n % 10]], tags[TOPICS[(n + 3) % 10]]]
            item.speakers = [
                Speaker(position=0, honorific="Dr", name=f"Speaker {n}", role="Adviser"),
                Speaker(position=1, name=f"Guest {n}"),
            ]
            db.session.add(item)
        db.session.commit()


def _measure(
    app, database: str, name: str, size: int, path: str, runs: int, *, headers=None, before_each=None, note: str = ""
) -> Result:
    client = app.test_client()
    with app.app_context():
        engine = db.engine
    counter = {"n": 0}

    def count(*_args):
        counter["n"] += 1

    times = []
    status = 0
    client.get(path, headers=headers)  # warm up imports and connections
    for _ in range(runs):
        if before_each:
            before_each()
        counter["n"] = 0
        event.listen(engine, "before_cursor_execute", count)
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        elapsed = time.perf_counter() - started
        event.remove(engine, "before_cursor_execute", count)
        status = response.status_code
        times.append(elapsed * 1000)
    return Result(database, name, size, runs, statistics.median(times), counter["n"], status, note)


def _bench_database(label: str, uri: str) -> list[Result]:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-secret-key-long-enough",
            "SQLALCHEMY_DATABASE_URI": uri,
            "BASE_URL": "https://events.example.org",
            "MAIL_SEND_ON_COMMIT": False,
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
    results: list[Result] = []
    has_events_page = "events.index" in app.view_functions

    def cold() -> None:
        ical._vevent_bytes.cache_clear()
        ical._plain_text.cache_clear()
        feed_cache.clear()

    _add_events(app, 0, 5)
    if has_events_page:
        results.append(_measure(app, label, "/events list page", 5, "/events?when=past", 20))
    _add_events(app, 5, 95)
    results.append(_measure(app, label, "public feed, first build", 100, "/calendar.ics", 10, before_each=cold))
    results.append(
        _measure(
            app,
            label,
            "public feed, rebuilt from cached events",
            100,
            "/calendar.ics",
            20,
            before_each=feed_cache.clear,
        )
    )
    results.append(_measure(app, label, "public feed, unconditional poll", 100, "/calendar.ics", 20))
    etag = app.test_client().get("/calendar.ics").headers["ETag"]
    results.append(
        _measure(
            app, label, "public feed, conditional (304)", 100, "/calendar.ics", 30, headers={"If-None-Match": etag}
        )
    )
    _add_events(app, 100, 100)
    if has_events_page:
        results.append(_measure(app, label, "/events list page", 200, "/events?when=past", 20))
    _add_events(app, 200, 4800)
    results.append(_measure(app, label, "public feed, first build", 5000, "/calendar.ics", 3, before_each=cold))
    results.append(
        _measure(
            app,
            label,
            "public feed, rebuilt from cached events",
            5000,
            "/calendar.ics",
            5,
            before_each=feed_cache.clear,
        )
    )
    results.append(_measure(app, label, "public feed, unconditional poll", 5000, "/calendar.ics", 30))
    etag = app.test_client().get("/calendar.ics").headers["ETag"]
    results.append(
        _measure(
            app, label, "public feed, conditional (304)", 5000, "/calendar.ics", 30, headers={"If-None-Match": etag}
        )
    )
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return results


def _postgres_uri(url: str) -> tuple[str, str]:
    """A separate ``<name>_bench`` database when it can be created, else the given one (emptied)."""
    uri = normalise_database_url(url)
    parsed = make_url(uri)
    bench_name = f"{parsed.database}_bench"
    engine = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": bench_name})
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{bench_name}"'))
        return parsed.set(database=bench_name).render_as_string(hide_password=False), bench_name
    except Exception as error:  # no right to create databases: use (and empty) the given one
        print(f"note: could not create {bench_name} ({error.__class__.__name__}); using {parsed.database}")
        return uri, parsed.database
    finally:
        engine.dispose()


def _ratio(results: list[Result], database: str, name: str, size: int, base_name: str, base_size: int) -> str:
    found = {(r.name, r.size): r for r in results if r.database == database}
    if (name, size) not in found or (base_name, base_size) not in found:
        return "–"
    return f"{found[(name, size)].median_ms / found[(base_name, base_size)].median_ms:.3g}×"


RATIOS = [
    ("Feed, first build: 5000 vs 100 events", "public feed, first build", 5000, "public feed, first build", 100),
    (
        "Feed rebuilt from cached events: 5000 vs 100",
        "public feed, rebuilt from cached events",
        5000,
        "public feed, rebuilt from cached events",
        100,
    ),
    (
        "Feed at 5000: rebuilt from cached events vs first build",
        "public feed, rebuilt from cached events",
        5000,
        "public feed, first build",
        5000,
    ),
    (
        "Feed at 5000: unconditional poll vs first build",
        "public feed, unconditional poll",
        5000,
        "public feed, first build",
        5000,
    ),
    ("Feed at 5000: 304 vs first build", "public feed, conditional (304)", 5000, "public feed, first build", 5000),
    ("Feed: 304 at 5000 vs 304 at 100", "public feed, conditional (304)", 5000, "public feed, conditional (304)", 100),
    ("/events page: 200 vs 5 events", "/events list page", 200, "/events list page", 5),
]


def _tables(results: list[Result]) -> str:
    lines = [
        "| Database | Request | Events | Runs | Median (ms) | SQL queries | Status |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r.database} | {r.name} | {r.size} | {r.runs} | {r.median_ms:.1f} | {r.queries} | {r.status} |"
        )
    lines += ["", "| Database | Comparison | Ratio of medians |", "| --- | --- | ---: |"]
    for database in dict.fromkeys(r.database for r in results):
        for label, *spec in RATIOS:
            lines.append(f"| {database} | {label} | {_ratio(results, database, *spec)} |")
    return "\n".join(lines)


def main() -> int:
    targets = []
    with tempfile.TemporaryDirectory() as folder:
        targets.append(("SQLite", "sqlite:///" + os.path.join(folder, "bench.sqlite")))
        url = os.environ.get("TEST_DATABASE_URL")
        if url:
            uri, name = _postgres_uri(url)
            targets.append((f"PostgreSQL ({name})", uri))
        results: list[Result] = []
        for label, uri in targets:
            print(f"== {label}: generating events and measuring …", flush=True)
            results.extend(_bench_database(label, uri))
    table = _tables(results)
    print(table)
    notes = []
    if not any(r.name == "/events list page" for r in results):
        notes.append("The /events page is not registered in this build, so it was not measured.")
    if not url:
        notes.append("TEST_DATABASE_URL was not set, so only SQLite was measured.")
    document = f"""# Benchmarks

Made by `make bench` (`python -m bench`) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — Python {platform.python_version()},
{platform.system()} {platform.machine()}, {os.cpu_count()} CPU(s). Each request goes through the whole app
in-process (routing, queries, templates or calendar building), without a network. Times are medians;
the events are published public events with two speakers and two topics each (one in fifty cancelled).

- **first build**: every cache is emptied before each run, as after a restart: the events are loaded
  and each one is turned into a VEVENT.
- **rebuilt from cached events**: the feed changed (one event was edited, say), so it is assembled
  again, but the unchanged events' VEVENTs come from the per-event cache (keyed by their content).
- **unconditional poll**: nothing changed and the client sends no `If-None-Match` (some do not): one
  light query gives the fingerprint, and the feed built for it is sent from the feed cache.
- **conditional (304)**: a calendar client polling with `If-None-Match`; the ETag is that fingerprint,
  checked before anything is built.
- **/events list page**: `/events?when=past` as an anonymous visitor, 20 per page, with 5 and with 200
  events in the database (the first events generated are in the past, so both pages have rows); the
  SQL column shows the page does not issue more queries as the data grows.

{table}

Read the ratios rather than the milliseconds: they compare sizes measured in the same run on the same
machine. Building a feed grows linearly with its events; a poll that finds nothing new costs two queries
whose rows (one short row per event in the feed) are the only part that grows.
{"".join(f"{chr(10)}Note: {note}" for note in notes)}
"""
    out = ROOT / "docs" / "BENCHMARKS.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(document, encoding="utf-8")
    print(f"\nWritten to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
