"""Template filters and globals: local times, safe Markdown, navigation that fits the signed-in role."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, request, url_for
from flask_login import current_user

from core.lib.markdown import render_markdown
from core.lib.wording import plural
from core.registry import navigation, page_parts
from core.timeutil import format_date, format_datetime, to_local


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


def _navigation(menu: str) -> list[NavItem]:
    """The links of one menu that the signed-in person may follow (an area's links come with its blueprint)."""
    return [
        NavItem(entry.label, url_for(entry.endpoint), request.endpoint == entry.endpoint)
        for entry in navigation
        if entry.menu == menu and entry.endpoint in current_app.view_functions and _visible(entry.audience)
    ]


def _page_parts(page: str) -> list[str]:
    """The partial templates other areas add to a page, in order."""
    return [part.template for part in page_parts if part.page == page]


def init_app(app: Flask) -> None:
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["local"] = to_local
    app.jinja_env.filters["plural"] = plural
    app.jinja_env.globals["main_navigation"] = lambda: _navigation("main")
    app.jinja_env.globals["organiser_navigation"] = lambda: _navigation("organiser")
    app.jinja_env.globals["page_parts"] = _page_parts
