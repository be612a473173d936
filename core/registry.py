"""What the areas contribute to core: home-page sections, navigation, parts of a person's data export, erasers,
audit labels, tables no cached answer reads, demo data loaders and signs of live data, jobs and command-line commands.

Core imports no area. Each area registers its contributions here from its ``blueprint.py``, which the
application factory imports (Indico does the same with signals); core then asks the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import click


class Registry[T]:
    """Named contributions in a stable order; registering a name again replaces it (imports may repeat)."""

    def __init__(self, what: str):
        self.what = what
        self._entries: dict[str, tuple[int, T]] = {}

    def register(self, name: str, item: T, order: int = 50) -> T:
        self._entries[name] = (order, item)
        return item

    def items(self) -> list[tuple[str, T]]:
        return [(name, item) for name, (_, item) in sorted(self._entries.items(), key=lambda e: (e[1][0], e[0]))]

    def __iter__(self) -> Iterator[T]:
        return iter(item for _, item in self.items())

    def get(self, name: str) -> T | None:
        entry = self._entries.get(name)
        return entry[1] if entry else None


@dataclass(frozen=True)
class HomeSection:
    #: The partial template that shows the section.
    template: str
    #: build(user) -> the template's context, or None to leave the section out.
    build: Callable[[object], dict | None]


#: What an audit action ("fellow.deactivated") is called on the audit log and its filter; each area names
#: the actions it records (core.audit).
audit_labels: Registry[str] = Registry("audit log labels")
#: Tables no cached answer reads, each with why (core.caching): writing them makes no new page generation.
uncached_tables: Registry[str] = Registry("tables no cached answer reads")
#: Tables of ``uncached_tables`` whose changes that cached pages show are announced by the code making them
#: (``core.caching.announce_change``), each with what is read: kept signed-in pages (core.personal_pages) may
#: read them.
announced_tables: Registry[str] = Registry("unwatched tables whose shown changes are announced")
#: Sections of the home page, in order.
home_sections: Registry[HomeSection] = Registry("home page sections")
#: export(user) -> what the area holds about the person, under the part's name in "Download my data".
data_export: Registry[Callable[[object], object]] = Registry("parts of a person's data export")
#: load() -> lines to print after loading (e.g. the demo sign-ins); run in order, inside one transaction.
demo_loaders: Registry[Callable[[], list[str] | None]] = Registry("demo data loaders")
#: check() -> why this database looks live (real people's data), or None; `flask demo` refuses to add
#: accounts with a published password to such a database (ASVS 2.5.4).
live_data_checks: Registry[Callable[[], str | None]] = Registry("signs of a live database")
#: erase(user) -> None: remove or anonymise what the area holds about a person whose account is being
#: deleted; run before the account's row goes, in the same transaction.
account_erasers: Registry[Callable[[object], None]] = Registry("account erasers")
#: purge(now) -> {what was removed: how many}: what the retention periods no longer allow to keep.
retention_purges: Registry[Callable[[datetime], dict[str, int]]] = Registry("retention purges")


@dataclass(frozen=True)
class CalendarPart:
    """Entries an area adds to a person's calendar feed (e.g. the meetings of a fellow's visits)."""

    #: fingerprint(user, now) -> (rows that change whenever the entries do, for the feed's ETag; the time
    #: of the latest change, for Last-Modified, or None)
    fingerprint: Callable[[object, datetime], tuple[list[tuple], datetime | None]]
    #: entries(user, now) -> the entries as ``core.lib.ical.EntryData``
    entries: Callable[[object, datetime], list]


#: What areas add to a person's calendar feed, beside the events they booked.
personal_calendar: Registry[CalendarPart] = Registry("parts of a person's calendar feed")
#: alerts(since, until) -> [(line, absolute link), …]: what organisers should hear of that happened in the
#: window (new requests to join, reviewers' answers), listed under the part's name in the daily digest.
organiser_alerts: Registry[Callable[[datetime, datetime], list[tuple[str, str]]]] = Registry("organiser alerts")


@dataclass(frozen=True)
class ScheduledJob:
    """Background work the scheduler (``flask scheduler``) runs: every ``minutes``, or daily at ``at``."""

    #: run(now) -> a one-line report ("3 reminders queued"); it commits its own work.
    run: Callable[[datetime], str]
    minutes: int | None = None
    #: "HH:MM" in the configured zone, for daily jobs.
    at: str | None = None


#: The scheduler's jobs, by name (mail sending, reminders, the digest, the purge, …).
scheduled_jobs: Registry[ScheduledJob] = Registry("scheduled jobs")


@dataclass(frozen=True)
class NavEntry:
    """A link in the site's navigation, shown to its audience once the area's blueprint is registered."""

    label: str
    endpoint: str
    #: "all", "signed_in", "fellow" or "organiser".
    audience: str
    #: "main" (the header) or "organiser" (the organisers' menu).
    menu: str = "main"


#: The navigation, in order; each area adds its own links.
navigation: Registry[NavEntry] = Registry("navigation links")


@dataclass(frozen=True)
class PagePart:
    """A partial template an area adds to a page of another area (the write-ups of an event on its page)."""

    #: The page's name, as the page's own template asks for it (``page_parts("event page")``).
    page: str
    template: str


page_parts: Registry[PagePart] = Registry("parts of other areas' pages")
#: Commands added to ``flask``.
cli_commands: Registry[click.Command] = Registry("command-line commands")
