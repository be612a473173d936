"""Absolute links for emails, calendar files and feeds, built on BASE_URL.

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
