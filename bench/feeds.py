"""Feeds at full size against their floor: the same events serialised by ``icalendar`` alone, from plain
values in memory (no database, no app). A feed built from the database should cost little more than that;
a 304 (the client's copy is current) should cost a small part of a full response. A cold build is also
timed by parts, through the app's own feed functions, to show what the time above the floor is spent on."""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass, field

import icalendar
from flask import Flask

from bench.inprocess import clear_caches, server_time
from extensions import db


@dataclass
class Feed:
    name: str
    events: int
    size: int
    floor_ms: float
    built_ms: float
    poll_ms: float
    not_modified_ms: float
    #: Rebuilt after one of its events was edited (everything else cached), as after an organiser's change.
    one_changed_ms: float
    #: A cold build by parts (ms, medians): the fingerprint query, loading the events, describing them
    #: (Markdown to text, speakers, links) and serialising them with the calendar's VTIMEZONE.
    parts: dict[str, float] = field(default_factory=dict)

    @property
    def built_ratio(self) -> float:
        return self.built_ms / self.floor_ms

    @property
    def one_changed_ratio(self) -> float:
        return self.one_changed_ms / self.floor_ms

    @property
    def poll_ratio(self) -> float:
        return self.poll_ms / self.floor_ms

    @property
    def not_modified_share(self) -> float:
        return self.not_modified_ms / self.built_ms


#: EntryData fields and the iCalendar properties they become, in the order the app writes them.
PROPERTIES = {
    "uid": "uid",
    "stamp": "dtstamp",
    "start": "dtstart",
    "end": "dtend",
    "created": "created",
    "last_modified": "last-modified",
    "sequence": "sequence",
    "status": "status",
    "summary": "summary",
}


def floor_bytes(entries: list[dict], name: str) -> bytes:
    """The same VEVENTs (every property the app writes) with ``icalendar`` alone."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//bench//floor//EN")
    calendar.add("version", "2.0")
    calendar.add("name", name)
    for entry in entries:
        vevent = icalendar.Event()
        for key, prop in PROPERTIES.items():
            if entry[key] is not None:
                vevent.add(prop, entry[key])
        vevent.add("description", entry["description"])
        if entry["location"]:
            vevent.add("location", entry["location"])
        vevent.add("url", entry["url"])
        organizer = icalendar.vCalAddress(f"mailto:{entry['organizer_email']}")
        organizer.params["CN"] = entry["organizer_name"]
        vevent.add("organizer", organizer)
        if entry["categories"]:
            vevent.add("categories", list(entry["categories"]))
        vevent.add("transp", "TRANSPARENT" if entry["transparent"] else "OPAQUE")
        calendar.add_component(vevent)
    return calendar.to_ical()


def _median_ms(work, runs: int, before_each=None) -> float:
    times = []
    for _ in range(runs):
        if before_each:
            before_each()
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def cold_parts(app: Flask, path: str, token_owner: str | None, runs: int = 5) -> dict[str, float]:
    """A build with every cache emptied, timed part by part with the functions the feed's view calls."""
    from core.ical_settings import calendar_settings  # noqa: PLC0415
    from core.lib.ical import feed_bytes  # noqa: PLC0415
    from events.calendar import feeds  # noqa: PLC0415
    from fellows.models import User  # noqa: PLC0415

    def empty() -> None:
        clear_caches(app)

    with app.test_request_context(path):
        session = db.session
        user = None if token_owner is None else session.scalar(db.select(User).where(User.email == token_owner))

        def fingerprint():
            return feeds.public_fingerprint(session) if user is None else feeds.personal_fingerprint(session, user)

        def load():
            return feeds.public_entries(session) if user is None else feeds.personal_entries(session, user)

        def load_fresh():
            entries = load()
            session.expunge_all()  # the next run reads the rows again instead of finding them in the session
            return entries

        fingerprint_ms = _median_ms(fingerprint, runs, empty)
        load_ms = _median_ms(load_fresh, runs, empty)
        if user is not None:
            user = session.merge(user, load=False)
        entries = load()
        data = feeds.entry_data(entries)
        tzid = calendar_settings().tzid

        def serialise():
            return feed_bytes(data, "bench", tzid=tzid, store=feeds.vevent_store)

        parts = {
            "fingerprint": fingerprint_ms,
            "load": load_ms,
            "describe": _median_ms(lambda: feeds.entry_data(entries), runs, empty),
            "serialise": _median_ms(serialise, runs, empty),
        }
        db.session.remove()
    return parts


def _entries(app: Flask, path: str, token_owner: str | None) -> list[dict]:
    """The plain content of the feed's events, read once through the app's own feed code."""
    from events.calendar.feeds import entry_data, personal_entries, public_entries  # noqa: PLC0415
    from fellows.models import User  # noqa: PLC0415

    with app.test_request_context(path):
        if token_owner is None:
            data = entry_data(public_entries(db.session))
        else:
            user = db.session.scalar(db.select(User).where(User.email == token_owner))
            data = entry_data(personal_entries(db.session, user))
        db.session.remove()
    return [asdict(entry) for entry in data]


class _OneEdit:
    """Edits one event of a feed through the ORM (as the organiser's form does), back and forth, so the next
    request rebuilds the feed with that one event changed; ``restore`` puts the title back."""

    def __init__(self, app: Flask, uid: str):
        from events.models import Event  # noqa: PLC0415

        self.app, self.model, self.uid = app, Event, uid.split("@", 1)[0]
        self.original: str | None = None

    def _set(self, title: str | None = None) -> None:
        with self.app.app_context():
            event = db.session.scalar(db.select(self.model).where(self.model.uid == self.uid))
            if self.original is None:
                self.original = event.title
            event.title = title or (self.original if event.title != self.original else f"{self.original} (moved)")
            db.session.commit()

    def __call__(self) -> None:
        self._set()

    def restore(self) -> None:
        if self.original is not None:
            self._set(self.original)


def measure(app: Flask, name: str, path: str, token_owner: str | None = None, runs: int = 9) -> Feed:
    entries = _entries(app, path, token_owner)
    floor_bytes(entries, name)
    floor = _median_ms(lambda: floor_bytes(entries, name), runs)
    client = app.test_client()
    built, _ = server_time(client, path, runs, before_each=lambda: clear_caches(app))
    poll, _ = server_time(client, path, runs * 3)
    edit = _OneEdit(app, entries[0]["uid"])
    try:
        one_changed, _ = server_time(client, path, runs, before_each=edit)
    finally:
        edit.restore()
    response = client.get(path)
    etag = response.headers.get("ETag", "")
    not_modified, status = server_time(client, path, runs * 3, headers={"If-None-Match": etag})
    if status != 304:
        not_modified = float("nan")
    parts = cold_parts(app, path, token_owner, runs)
    size = len(response.get_data())
    return Feed(name, len(entries), size, floor, built, poll, not_modified, one_changed, parts)
