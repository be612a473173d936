"""``make bench`` (``python -m bench``): the app measured at the size of a large programme (issue 12).

For each database — a throwaway SQLite file, and PostgreSQL too when ``BENCH_DATABASE_URL`` is set (in a
database of its own, ``<name>_bench``, created and dropped here when the server allows) — it builds the
data at 1/16, 1/4 and full size (``bench.scale``) and measures, in-process, the SQL statements of every
main page (at 1/16 and full size) and the server time of five pages at every size; at full size the
feeds against their floor and the expert matching. Then, at full size on PostgreSQL (else SQLite), it
serves the app and a bare-Flask ceiling with gunicorn (2 sync workers each), loads every page beside the
ceiling at the page's byte size, runs 200 concurrent bookings for 20 places (PostgreSQL only) and reads
the workers' peak memory; and it times the CP-SAT timetable. Tables are printed and, for a full-size run,
written to docs/BENCHMARKS.md with a plot (docs/bench-growth.png).

Options: ``--quick`` (1/8 of the size, 1-second loads), ``BENCH_SCALE`` (the full size as a factor, e.g.
``1/4``), ``BENCH_SECONDS`` (seconds of load per page and per ceiling, 3 by default), ``BENCH_NOTE`` (a
sentence for the document, e.g. what else ran on the machine), ``--out DIR``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import contention, feeds, inprocess, programme, semantic, served  # noqa: E402
from bench.document import document  # noqa: E402
from bench.pages import GROWTH, pages  # noqa: E402
from bench.plot import growth_png  # noqa: E402
from bench.report import Run, label  # noqa: E402
from config import normalise_database_url  # noqa: E402
from extensions import db  # noqa: E402

GROWTH_RUNS = 7


def _postgres(url: str) -> tuple[str, str, bool]:
    """(URI, database name, created here): a database of its own when the server allows, else the given one."""
    parsed = make_url(normalise_database_url(url))
    name = f"{parsed.database}_bench"
    engine = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        return parsed.set(database=name).render_as_string(hide_password=False), name, True
    except Exception as error:  # no right to create databases: use (and empty) the given one
        print(f"note: could not create {name} ({error.__class__.__name__}); using {parsed.database}, emptied")
        return parsed.render_as_string(hide_password=False), parsed.database, False
    finally:
        engine.dispose()


def _drop_postgres(uri: str, name: str) -> None:
    engine = create_engine(make_url(uri).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def _measure_size(run: Run, database: str, uri: str, factor: float, serve: bool, logs: Path) -> None:
    full = run.factors[-1]
    run.loads.append(os.getloadavg()[0])
    started = time.perf_counter()
    app = inprocess.make_app(uri)
    scaled = inprocess.build(app, factor)
    run.scaled.setdefault(database, {})[factor] = scaled
    run.build_seconds.setdefault(database, {})[factor] = time.perf_counter() - started
    print(
        f"== {database} at {label(factor, full)}: {scaled.fellows:,} fellows, {scaled.events:,} events, "
        f"{scaled.bookings:,} bookings, {scaled.notes:,} notes, {scaled.visits} visits "
        f"(built in {time.perf_counter() - started:.0f} s)",
        flush=True,
    )
    page_list = pages(scaled)
    run.pages = page_list
    if make_url(uri).get_backend_name() == "postgresql":
        with app.app_context():
            run.versions[database] = db.session.scalar(text("SHOW server_version"))
            db.session.remove()
    by_role = inprocess.clients(app, scaled)
    if factor in (run.factors[0], full):
        run.counts.setdefault(database, {})[factor] = inprocess.count_queries(app, by_role, page_list)
    series = run.growth.setdefault(database, {})
    for page in (p for p in page_list if p.key in GROWTH):
        before = (lambda: inprocess.clear_caches(app)) if page.key == "feed_public" else None
        median, _ = inprocess.server_time(by_role[page.who], page.path, GROWTH_RUNS, before_each=before)
        series.setdefault(page.key, {})[factor] = median
    if factor != full:
        inprocess.dispose(app)
        return
    run.feeds[database] = [
        feeds.measure(app, "public feed", "/calendar.ics"),
        feeds.measure(
            app, "organiser's all-events feed", f"/calendar/{scaled.organiser_feed_token}.ics", scaled.organiser_email
        ),
    ]
    run.breakdown[database] = inprocess.breakdown(app, by_role, page_list)
    run.profiles[database] = inprocess.profile_top(app, by_role, page_list)
    if make_url(uri).get_backend_name() == "postgresql":
        run.scans[database] = inprocess.sequential_scans(app, by_role, page_list)
    run.matching[database] = programme.matching(app, scaled)
    if serve:
        _serve(run, app, uri, database, scaled, page_list, logs)
    inprocess.dispose(app)


def _serve(run: Run, app, uri: str, database: str, scaled, page_list, logs: Path) -> None:
    run.served_on = database
    run.loads.append(os.getloadavg()[0])
    print(f"== throughput under gunicorn on {database} ({run.tool}, {run.seconds:g} s a page and a ceiling)")
    with (
        served.app_server(uri, logs / "app.log") as server,
        served.gunicorn("bench.ceiling:app", logs / "ceiling.log") as ceiling,
    ):
        cookies = {
            None: "",
            "fellow": served.session_cookie(served.sign_in(server, scaled.fellow_email, scaled.password)),
            "organiser": served.session_cookie(served.sign_in(server, scaled.organiser_email, scaled.password)),
        }
        run.throughput = served.throughput(server, ceiling, page_list, cookies, run.seconds)
        if make_url(uri).get_backend_name() == "postgresql":
            print("== 200 concurrent bookings for 20 places", flush=True)
            try:
                run.contention = contention.run(app, server)
            except Exception as error:  # report it, and keep the rest of the run
                run.contention_note = f"failed: {error!r}"
        else:
            run.contention_note = "needs PostgreSQL (set BENCH_DATABASE_URL); SQLite serialises every write."
        run.memory = {"app": server.memory(), "ceiling": ceiling.memory()}
        run.crashes = server.crashes()


def _factor(value: str) -> float:
    return float(Fraction(value))


def _machine() -> dict[str, str]:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal"))
        ram = f"{int(memory.split()[1]) / 1024 / 1024:.0f} GB RAM"
    except (OSError, StopIteration):
        ram = "unknown RAM"

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()  # noqa: S603,S607
        except OSError:
            return ""

    # The bench's own output (docs/) does not count as a change to what was measured.
    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs")
    dirty = " (with uncommitted changes)" if changed else ""
    return {
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), {ram}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "commit": (git("rev-parse", "--short", "HEAD") or "unknown") + dirty,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1/8 of the size and 1-second loads")
    parser.add_argument("--out", type=Path, help="where to write BENCHMARKS.md and the plot")
    options = parser.parse_args(argv)
    started = time.perf_counter()
    full = _factor(os.environ.get("BENCH_SCALE") or ("1/8" if options.quick else "1"))
    seconds = float(os.environ.get("BENCH_SECONDS") or (1 if options.quick else 3))
    out = options.out or (ROOT / "docs" if full == 1 else Path(tempfile.mkdtemp(prefix="bench-")))
    run = Run(factors=[full / 16, full / 4, full], seconds=seconds, tool=served.load_tool())
    if not shutil.which("wrk"):
        run.notes.append("wrk is not installed (`apt-get install wrk`): the Python load client was used.")
    if os.environ.get("BENCH_NOTE"):
        run.notes.append(os.environ["BENCH_NOTE"])
    if full != 1:
        run.notes.append(f"A reduced run: full size here is {label(full, 1)} of a large programme.")
    postgres_url = os.environ.get("BENCH_DATABASE_URL")
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        logs = Path(folder)
        targets = [("SQLite", lambda f: f"sqlite:///{folder}/bench-{round(f * 4096)}.sqlite", None)]
        if postgres_url:
            uri, name, created = _postgres(postgres_url)
            targets.append((f"PostgreSQL ({name})", lambda f: uri, (uri, name) if created else None))
        else:
            run.notes.append("BENCH_DATABASE_URL was not set: PostgreSQL was not measured.")
        serve_on = targets[-1][0]
        for database, uri_of, drop in targets:
            run.databases.append(database)
            try:
                for factor in run.factors:
                    _measure_size(run, database, uri_of(factor), factor, database == serve_on, logs)
            finally:
                if drop:
                    _drop_postgres(*drop)
        print("== CP-SAT timetable", flush=True)
        run.solving = programme.timetable()
        print("== CP-SAT repair", flush=True)
        run.repairing = programme.repair()
    wall = time.perf_counter() - started
    plot = out / "bench-growth.png"
    growth_png(plot, {d: {run_name(run, k): v for k, v in s.items()} for d, s in run.growth.items()}, run.factors)
    text_ = document(run, _machine(), datetime.now(UTC), wall, plot.name)
    print("== semantic matching", flush=True)
    head, marker, goals = text_.partition("## Goals not met")
    text_ = head + semantic.section() + "\n" + marker + goals
    (out / "BENCHMARKS.md").parent.mkdir(parents=True, exist_ok=True)
    (out / "BENCHMARKS.md").write_text(text_, encoding="utf-8")
    print(text_)
    print(f"\nWritten to {out / 'BENCHMARKS.md'} and {plot} in {wall / 60:.1f} minutes.")
    return 0


def run_name(run: Run, key: str) -> str:
    return next((page.name for page in run.pages if page.key == key), key)


if __name__ == "__main__":
    raise SystemExit(main())
