"""Times are stored in UTC and shown in the configured zone (Europe/London by default)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def to_local(value: datetime) -> datetime:
    """An aware UTC datetime → the same instant on the configured zone's wall clock."""
    return value.astimezone(local_zone())


def local_today() -> date:
    """Today in the configured zone: a tenure ends, and a visit begins, at a local midnight."""
    return datetime.now(UTC).astimezone(local_zone()).date()


def local_to_utc(naive: datetime) -> datetime:
    """A wall-clock time typed in the configured zone → an aware UTC datetime.

    In the autumn hour that happens twice, the first (summer-time) reading is taken, as
    calendar applications do; a spring time that does not exist moves forward by the gap.
    """
    return naive.replace(tzinfo=local_zone(), fold=0).astimezone(UTC)


#: "Wed 12 Oct 2016, 12:30"
DATETIME_FORMAT = "%a %-d %b %Y, %H:%M"


def format_datetime(value: datetime | None, fmt: str = DATETIME_FORMAT) -> str:
    return to_local(value).strftime(fmt) if value else ""


def format_date(value: datetime | None, fmt: str = "%-d %B %Y") -> str:
    return to_local(value).strftime(fmt) if value else ""
