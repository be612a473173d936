"""Feeds at full size against their floor: the same events serialised by ``icalendar`` alone, from plain
values in memory (no database, no app). A feed built from the database should cost little more than that;
a 304 (the client's copy is current) should cost a small part of a full response."""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass

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

    @property
    def built_ratio(self) -> float:
        return self.built_ms / self.floor_ms

    @property
    def poll_ratio(self) -> float:
        return self.poll_ms / self.floor_ms

    @property
    def not_modified_share(self) -> float:
        return self.not_modified_ms / self.built_ms


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
        for key in ("uid", "stamp", "start", "end", "created", "last_modified", "sequence", "status", "summary"):
            if entry[key] is not None:
                vevent.add(
                    {"stamp": "dtstamp", "start": "dtstart", "end": "dtend"}.get(key, key.replace("_", "-")), entry[key]
                )
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


def measure(app: Flask, name: str, path: str, token_owner: str | None = None, runs: int = 5) -> Feed:
    entries = _entries(app, path, token_owner)
    floor_bytes(entries, name)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        floor_bytes(entries, name)
        times.append((time.perf_counter() - started) * 1000)
    client = app.test_client()
    built, _ = server_time(client, path, runs, before_each=lambda: clear_caches(app))
    poll, _ = server_time(client, path, runs * 3)
    response = client.get(path)
    etag = response.headers.get("ETag", "")
    not_modified, status = server_time(client, path, runs * 3, headers={"If-None-Match": etag})
    if status != 304:
        not_modified = float("nan")
    return Feed(name, len(entries), len(response.get_data()), statistics.median(times), built, poll, not_modified)
