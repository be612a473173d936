"""Absolute links to event pages, on BASE_URL: emails, calendar files and feeds are read far from any request."""

from __future__ import annotations

from collections.abc import Callable

from core.urls import external_url_builder
from events.models import Event


def event_url_builder() -> Callable[[Event], str]:
    """A function giving each event page's absolute URL; binds the URL map once (feeds build thousands)."""
    build = external_url_builder("events.detail")
    return lambda event: build(event_id=event.id)


def event_url(event: Event) -> str:
    """The event page as an absolute link."""
    return event_url_builder()(event)
