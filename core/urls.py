"""Links: absolute ones for emails, calendar files and feeds, built on BASE_URL; and the one check of a
``next`` target a page redirects back to.

They must not depend on the current request: the mail sender, reminders and other CLI
commands run without one, and a request may arrive through a proxy under another name.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import current_app


def external_url_builder(endpoint: str) -> Callable[..., str]:
    """A function building absolute links to ``endpoint``; binds the URL map once (feeds build thousands)."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path.rstrip("/") or "/", url_scheme=base.scheme or "https"
    )
    return lambda **values: adapter.build(endpoint, values, force_external=True)


def external_url(endpoint: str, **values) -> str:
    return external_url_builder(endpoint)(**values)


def safe_next(target: str | None, default: str) -> str:
    """Only follow ``next`` to a path on this site, never to another host.

    Control characters and spaces are refused outright: browsers drop tabs and newlines from a URL,
    so "/<TAB>/evil.example" would arrive as "//evil.example", another host.
    """
    if not target or any(char.isspace() or not char.isprintable() for char in target):
        return default
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default
