"""The app's calendar settings (zone, UID domain, organizer) for the pure functions in ``core.lib.ical``,
used for events and for programme meetings alike."""

from __future__ import annotations

from email.utils import parseaddr
from functools import lru_cache
from urllib.parse import urlsplit

from flask import current_app

from core.lib.ical import CalendarSettings


def calendar_settings() -> CalendarSettings:
    """Built from configuration: TIMEZONE, CALENDAR_UID_DOMAIN (else the host of BASE_URL) and the sender.

    A deployment that moves to a new address should set CALENDAR_UID_DOMAIN to the old host, or every UID
    would change and every event appear twice in subscribed calendars.
    """
    config = current_app.config
    domain = config.get("CALENDAR_UID_DOMAIN") or urlsplit(config["BASE_URL"]).hostname or "localhost"
    email, name = _parse_sender(config["MAIL_DEFAULT_SENDER"], config["APP_NAME"])
    return CalendarSettings(tzid=config["TIMEZONE"], uid_domain=domain, organizer_email=email, organizer_name=name)


@lru_cache(maxsize=8)
def _parse_sender(sender: str, app_name: str) -> tuple[str, str]:
    name, address = parseaddr(sender)
    return address or "events@localhost", name or app_name
