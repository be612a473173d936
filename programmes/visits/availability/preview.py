"""What the expert's page and the organisers' page share for a calendar import: the calendar a form
brings (a file through ``core.uploads``, or a free/busy address fetched under the app's limits), the
busy half-days it shows for a visit, and the half-days a confirmation takes off the answer."""

from __future__ import annotations

from flask import current_app

from core.lib.halfday import HalfDay
from core.timeutil import local_zone
from core.uploads import CALENDAR, decode_text, read_upload
from programmes.visits.availability.busy import BusyReading, read_busy, windows
from programmes.visits.availability.fetching import fetch_calendar


def calendar_text(form) -> str:
    """The text of the calendar a ``BusyImportForm`` brings; UploadError (or a subclass) says why not."""
    if form.file.data:
        return read_upload(form.file.data, CALENDAR)
    config = current_app.config
    data = fetch_calendar(
        form.url.data,
        # Only the tests' own server, and only under TESTING, is ever fetched from 127.0.0.1.
        allow_loopback=bool(config.get("TESTING") and config.get("FREEBUSY_ALLOW_LOOPBACK")),
        timeout=float(config.get("FREEBUSY_TIMEOUT_SECONDS", 5)),
    )
    return decode_text(data, CALENDAR)


def busy_of(visit, text: str) -> BusyReading:
    """The visit's half-days that ``text`` (an .ics calendar) shows busy, in the configured zone."""
    zone = local_zone()
    return read_busy(text, windows(visit, zone), zone)


def choices(reading: BusyReading) -> dict[str, str]:
    """The preview's checkboxes: {"2027-03-02 am": "Tue 2 am (busy 09:00–11:00)"}."""
    return {str(busy.half): f"{busy.label} ({busy.reason})" for busy in reading.busy}


def to_take_off(reading: BusyReading, kept: list[str] | None) -> list[HalfDay]:
    """The busy half-days the person did not tick as still possible."""
    keep = set(kept or [])
    return [busy.half for busy in reading.busy if str(busy.half) not in keep]
