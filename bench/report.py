"""The tables of a bench run (printed, and written to docs/BENCHMARKS.md with the plot and a reading)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.contention import Contention
from bench.feeds import Feed
from bench.inprocess import Breakdown, Cost, Count
from bench.pages import GROWTH, Page
from bench.programme import Matching, Repairing, Solving
from bench.scale import Scaled
from bench.served import Throughput

QUERY_GOAL = 10


@dataclass
class Run:
    factors: list[float]
    seconds: float
    tool: str
    databases: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    pages: list[Page] = field(default_factory=list)
    scaled: dict[str, dict[float, Scaled]] = field(default_factory=dict)
    build_seconds: dict[str, dict[float, float]] = field(default_factory=dict)
    counts: dict[str, dict[float, dict[str, Count]]] = field(default_factory=dict)
    #: Per database, at full size: where each page's in-process time goes.
    breakdown: dict[str, dict[str, Breakdown]] = field(default_factory=dict)
    #: Per database, at full size: each signed-in page's five largest costs when it is built (cProfile).
    profiles: dict[str, dict[str, list[Cost]]] = field(default_factory=dict)
    #: PostgreSQL databases, at full size: ({page key: tables read whole}, {table: rows}).
    scans: dict[str, tuple[dict[str, list[str]], dict[str, int]]] = field(default_factory=dict)
    growth: dict[str, dict[str, dict[float, float]]] = field(default_factory=dict)
    feeds: dict[str, list[Feed]] = field(default_factory=dict)
    matching: dict[str, Matching] = field(default_factory=dict)
    solving: Solving | None = None
    repairing: Repairing | None = None
    served_on: str = ""
    throughput: list[Throughput] = field(default_factory=list)
    memory: dict[str, list[tuple[int, int, int]]] = field(default_factory=dict)
    crashes: int = 0
    contention: Contention | None = None
    contention_note: str = ""
    #: The 1-minute load average, sampled at the start of each phase (the bench itself keeps about 2 busy).
    loads: list[float] = field(default_factory=list)


def label(factor: float, full: float) -> str:
    share = factor / full
    return "1" if share == 1 else f"1/{round(1 / share)}"


def _table(header: list[str], rows: list[list], right_from: int = 1) -> str:
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("| " + " | ".join("---" if i < right_from else "---:" for i in range(len(header))) + " |")
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def data_table(run: Run) -> str:
    full = run.factors[-1]
    rows = []
    for database, sizes in run.scaled.items():
        for factor, s in sizes.items():
            rows.append(
                [
                    database,
                    label(factor, full),
                    f"{s.fellows:,}",
                    f"{s.experts:,}",
                    f"{s.events:,}",
                    f"{s.bookings:,} ({s.waitlisted:,} waitlisted)",
                    f"{s.notes:,} ({s.revisions:,} revisions)",
                    f"{s.visits:,}",
                    s.big_event_bookings,
                    s.heavy_fellow_bookings,
                    f"{run.build_seconds[database][factor]:.0f} s",
                ]
            )
    header = ["database", "size", "fellows", "experts", "events", "bookings", "notes", "visits"]
    header += ["big event's bookings", "heavy fellow's bookings", "built in"]
    return _table(header, rows, 2)


def query_table(run: Run) -> str:
    small, full = run.factors[0], run.factors[-1]
    header, rows = ["page", "who"], []
    for database in run.counts:
        header += [f"{database}: SQL {label(small, full)} → 1", "grew?"]
    header += [f"≤ {QUERY_GOAL} and no growth?"]
    for page in run.pages:
        row, met = [page.name, page.who or "anonymous"], True
        for by_size in run.counts.values():
            a, b = by_size[small][page.key], by_size[full][page.key]
            status = "" if a.status == b.status == 200 else f" (HTTP {a.status}/{b.status})"
            row += [f"{a.queries} → {b.queries}{status}", "**grew**" if b.queries > a.queries else "no"]
            met = met and b.queries <= QUERY_GOAL and b.queries <= a.queries
        row.append("yes" if met else "**no**")
        rows.append(row)
    return _table(header, rows, 2)


def throughput_table(run: Run) -> str:
    rows = []
    for t in run.throughput:
        rows.append(
            [
                t.page.name,
                "yes" if t.page.signed_in else "no",
                f"{t.size:,}",
                f"{t.app.rate:.1f}",
                f"{t.app.median_ms:.1f}",
                f"{t.ceiling.rate:.0f}",
                f"{t.ceiling.median_ms:.2f}",
                f"{t.ratio:.3f}",
                f"≥ {t.goal}",
                "yes" if t.ratio >= t.goal else "**no**",
                t.app.errors + t.ceiling.errors + (0 if t.status == 200 else 1),
            ]
        )
    header = ["page", "signed in", "bytes", "req/s", "median ms", "ceiling req/s", "ceiling median ms"]
    header += ["ratio", "goal", "met", "errors"]
    return _table(header, rows, 2)


def breakdown_database(run: Run) -> str | None:
    """The database whose breakdown is shown: the one throughput was measured on, else the first."""
    if run.served_on in run.breakdown:
        return run.served_on
    return next(iter(run.breakdown), None)


def _share(part: float, total: float) -> str:
    return f"{part:.1f} ({100 * part / total:.0f} %)" if total else f"{part:.1f}"


def breakdown_table(run: Run) -> str:
    database = breakdown_database(run)
    if database is None:
        return "Not measured."
    rows = []
    for page in run.pages:
        b = run.breakdown[database][page.key]
        rows.append(
            [
                page.name,
                page.who or "anonymous",
                f"{b.total_ms:.1f}",
                _share(b.sql_ms, b.total_ms),
                b.statements,
                _share(b.templates_ms, b.total_ms),
                _share(b.rest_ms, b.total_ms),
            ]
        )
    header = ["page", "who", "total ms", "SQL ms", "statements", "templates ms", "the rest ms (view, ORM, Flask)"]
    return _table(header, rows, 2)


def profile_table(run: Run) -> str:
    database = breakdown_database(run)
    if database is None or database not in run.profiles:
        return "Not measured."
    rows = []
    for page in run.pages:
        costs = run.profiles[database].get(page.key)
        if not costs:
            continue
        listed = "; ".join(f"`{cost.where}` {cost.ms:.1f} ({100 * cost.share:.0f} %)" for cost in costs)
        rows.append([page.name, page.who, listed])
    return _table(["page", "who", "the five largest own times per request, ms (share of the profile)"], rows, 3)


def scans_table(run: Run) -> str:
    if not run.scans:
        return "Not measured (needs BENCH_DATABASE_URL)."
    database, (scans, rows) = next(iter(run.scans.items()))
    body = []
    for page in run.pages:
        found = scans.get(page.key, [])
        body.append([page.name, ", ".join(f"{table} ({rows[table]:,} rows)" for table in found) or "none"])
    return _table(["page", f"tables read whole ({database})"], body, 2)


def feeds_table(run: Run) -> str:
    rows = []
    for database, feeds in run.feeds.items():
        for f in feeds:
            rows.append(
                [
                    database,
                    f.name,
                    f.events,
                    f"{f.size:,}",
                    f"{f.floor_ms:.1f}",
                    f"{f.built_ms:.1f} ({f.built_ratio:.2f}×)",
                    f"{f.one_changed_ms:.1f} ({f.one_changed_ratio:.2f}×)",
                    f"{f.poll_ms:.1f} ({f.poll_ratio:.2f}×)",
                    f"{f.not_modified_ms:.2f} ({f.not_modified_share:.3f} of built)",
                    "yes" if f.built_ratio <= 1.5 else "**no**",
                    "yes" if f.not_modified_share < 0.1 else "**no**",
                ]
            )
    header = ["database", "feed", "events", "bytes", "floor ms (icalendar alone)", "built ms (× floor)"]
    header += ["one event changed ms (× floor)", "poll, nothing changed ms (× floor)", "304 ms"]
    header += ["built ≤ 1.5× floor", "304 < 1/10"]
    return _table(header, rows, 2)


def feed_parts_table(run: Run) -> str:
    rows = []
    for database, feeds in run.feeds.items():
        for f in feeds:
            parts = f.parts
            rest = max(0.0, f.built_ms - sum(parts.values()))
            rows.append(
                [
                    database,
                    f.name,
                    f"{f.floor_ms:.1f}",
                    f"{f.built_ms:.1f}",
                    f"{parts['serialise']:.1f} ({parts['serialise'] / f.floor_ms:.2f}×)",
                    f"{parts['describe']:.1f}",
                    f"{parts['load']:.1f}",
                    f"{parts['fingerprint']:.1f}",
                    f"{rest:.1f}",
                ]
            )
    header = ["database", "feed", "floor ms", "built ms", "serialise ms (× floor)", "describe ms", "load ms"]
    header += ["fingerprint ms", "the rest ms (request, response, cache writes: built less the parts' medians)"]
    return _table(header, rows, 2)


def growth_table(run: Run) -> str:
    full = run.factors[-1]
    header, rows = ["page"], []
    for database in run.growth:
        header += [f"{database} {label(f, full)} (ms)" for f in run.factors] + [f"{database} ×, data ×16"]
    names = {page.key: page.name for page in run.pages}
    for key in GROWTH:
        row = [names.get(key, key) + (" (built, caches empty)" if key == "feed_public" else "")]
        for series in run.growth.values():
            points = series.get(key, {})
            row += [f"{points.get(f, float('nan')):.1f}" for f in run.factors]
            first, last = points.get(run.factors[0]), points.get(full)
            row.append(f"{last / first:.1f}×" if first and last else "–")
        rows.append(row)
    return _table(header, rows, 1)


def memory_table(run: Run) -> str:
    rows = []
    for server, workers in run.memory.items():
        for pid, peak, now in workers:
            rows.append([server, pid, f"{peak / 1024:.0f}", f"{now / 1024:.0f}"])
    return _table(["server", "worker pid", "peak resident MB (VmHWM)", "resident at the end MB (VmRSS)"], rows, 2)


def contention_table(run: Run) -> str:
    c = run.contention
    if c is None:
        return f"Skipped: {run.contention_note}"
    statuses = ", ".join(f"{count} × HTTP {status}" for status, count in sorted(c.statuses.items()))
    rows = [
        ["attempts (different fellows, at once)", c.attempts],
        ["places", c.places],
        ["confirmed", c.confirmed],
        ["waitlisted", c.waitlisted],
        ["fellows booked twice", c.duplicates],
        ["answers", statuses],
        ["counts exactly right", "yes" if c.correct else "**no**"],
        ["throughput", f"{c.rate:.1f} bookings/s ({c.seconds:.2f} s for all)"],
        ["median / p95 latency", f"{c.median_ms:.0f} ms / {c.p95_ms:.0f} ms"],
    ]
    return _table(["", "value"], rows, 1)


def programme_table(run: Run) -> str:
    rows = []
    for database, m in run.matching.items():
        rows.append(
            [
                f"matching ({database})",
                f"rank {m.experts:,} experts for one policy question",
                f"{m.median_ms:.1f} ms",
                f"{m.suggestions} suggestions",
            ]
        )
    if run.solving:
        s = run.solving
        rows.append(
            [
                "CP-SAT timetable",
                f"{s.requests} acceptances, 5 days, at most 6 a day",
                f"{s.median_ms:.0f} ms",
                f"{s.placed} placed, {s.status} (median of {s.runs})",
            ]
        )
    if run.repairing:
        r = run.repairing
        rows.append(
            [
                "CP-SAT repair vs full re-solve",
                f"{r.meetings}-meeting week, one cancelled, one expert's half-days shrunk",
                f"{r.repair_ms:.0f} ms vs {r.resolve_ms:.0f} ms",
                f"ratio {r.ratio:.2f}, {r.moved} moved by the repair (median of {r.runs})",
            ]
        )
    return _table(["what", "problem", "median", "result"], rows, 2)
