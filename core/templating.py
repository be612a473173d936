"""Template filters and globals: local times, safe Markdown, navigation that fits the signed-in role."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, request, url_for
from flask_login import current_user

from core.lib.markdown import render_markdown
from core.lib.wording import plural
from core.timeutil import format_date, format_datetime, to_local

# (label, endpoint, audience): audience is "all", "signed_in", "fellow" or "organiser". An entry whose
# endpoint is not registered is left out, so an area's navigation appears with its blueprint.
MAIN_NAVIGATION = [
    ("Events", "events.index", "all"),
    ("Write-ups", "notes.index", "all"),
    ("Fellows", "fellows.directory", "signed_in"),
    ("My bookings", "events.my_bookings", "signed_in"),
    ("My calendar", "calendar.mine", "signed_in"),
    ("My profile", "fellows.my_profile", "fellow"),
    ("My programme", "programmes.mine", "fellow"),
    ("Account", "auth.account", "signed_in"),
]
ORGANISER_NAVIGATION = [
    ("Manage events", "events.manage", "organiser"),
    ("Manage write-ups", "notes.manage", "organiser"),
    ("Import events", "calendar_import.upload", "organiser"),
    ("Fellows", "fellows_manage.fellows", "organiser"),
    ("Tenures", "programmes_manage.tenures", "organiser"),
    ("Experts", "programmes_manage.experts", "organiser"),
    ("Visits", "programmes_manage.visits", "organiser"),
    ("Programme dashboard", "programmes_manage.dashboard", "organiser"),
    ("Join requests", "fellows_manage.join_requests", "organiser"),
    ("Import fellows", "fellows_manage.import_csv", "organiser"),
    ("Organisations", "fellows_manage.organisations", "organiser"),
    ("Topics", "fellows_manage.tags", "organiser"),
    ("Outbox", "core.outbox", "organiser"),
    ("Audit log", "core.audit_log", "organiser"),
]


@dataclass
class NavItem:
    label: str
    url: str
    current: bool


def _visible(audience: str) -> bool:
    if audience == "all":
        return True
    if not current_user.is_authenticated:
        return False
    if audience == "signed_in":
        return True
    return current_user.role == audience


def _navigation(entries) -> list[NavItem]:
    items = []
    for label, endpoint, audience in entries:
        if endpoint in current_app.view_functions and _visible(audience):
            items.append(NavItem(label, url_for(endpoint), request.endpoint == endpoint))
    return items


def init_app(app: Flask) -> None:
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["local"] = to_local
    app.jinja_env.filters["plural"] = plural
    app.jinja_env.globals["main_navigation"] = lambda: _navigation(MAIN_NAVIGATION)
    app.jinja_env.globals["organiser_navigation"] = lambda: _navigation(ORGANISER_NAVIGATION)
