"""Signed-in pages kept per person between changes (issue 27): the same page, for the same person in the
same browser session, built once per generation of the data.

A signed-in page is personal, so it is never shared and never kept by a browser or proxy (``private,
no-store``, as before): it is kept in the shared cache, under a key only this session can make, and answered
from there while nothing it shows has changed. The key is a digest of

- the *generation* (``core.caching``): every commit that writes what pages show, in any process, makes a
  new one, so a booking, a changed role, a deactivation or a new write-up is on the very next request;
- the code's version, today's date, and the next moment a page changes with no write at all (an event
  starting, a meeting ending: each area registers its own in ``page_moments``);
- the host, the path with its query, and every value in the session (who is signed in, with their session
  version, and the session's CSRF secret): another person, another browser or a signed-out session can
  never make the same key.

**What is kept.** An endpoint opts in (``personal_pages``, registered by its area). A page built for it is
kept only when, while it was built, every SQL statement read tables whose writes make a new generation
(none of ``core.registry.uncached_tables``, the scheduler's runs, one-use form keys, kept drafts …, unless
the changes pages read of it are announced: ``announced_tables``; and no hand-written SQL whose tables
cannot be told), nothing was written, the session did not change (a flashed message read, a token made)
and the answer is a plain 200. So a page that shows something the generation does not watch is simply
built every time, whatever was registered. A kept page lives at most ``PERSONAL_PAGE_SECONDS`` (and never
longer than half of a CSRF token's life, so the tokens in its forms still work when it is answered). The
one-use keys of its forms (``core.forms.FormKeyField``) are noted while it is built and replaced by new ones
in every answer, so two answers of a kept page never carry the same key (a second submission would be
taken for a repeat of the first).

On only where the generation is shared by every process and page caching is on (``PAGE_CACHE``, as for the
anonymous pages); ``PERSONAL_PAGE_SECONDS=0`` switches it off alone.
"""

from __future__ import annotations

import hashlib
import json
import logging
import weakref
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, request, session
from flask_login import current_user
from sqlalchemy import Table, event
from sqlalchemy.engine import Engine
from sqlalchemy.sql.util import find_tables
from werkzeug.wrappers import Response

from core.caching import cache_get, cache_set, code_version, current_generation, page_cache_on
from core.forms import made_form_keys, new_form_key
from core.models import utcnow
from core.registry import Registry, announced_tables, uncached_tables

log = logging.getLogger(__name__)

#: Endpoints of signed-in pages that may be kept per person, each with what it is (registered by areas).
personal_pages: Registry[str] = Registry("signed-in pages kept per person between changes")
#: moment(now) -> the next moment after ``now`` at which some signed-in page of the area changes with no
#: write to the database (an event starts, a meeting ends), or None. Every kept page uses the earliest.
page_moments: Registry[Callable[[datetime], datetime | None]] = Registry("moments signed-in pages change by")


class _Build:
    """What one request's page read while it was built, as far as keeping it goes."""

    __slots__ = ("why_not",)

    def __init__(self):
        self.why_not: str | None = None


#: Set while a registered page is being built for a signed-in person.
_building: ContextVar[_Build | None] = ContextVar("personal_page_build", default=None)
#: Tables each compiled statement reads (a compiled statement is reused for every query of its shape).
_tables_of: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@event.listens_for(Engine, "before_cursor_execute")
def _watch_reads(conn, cursor, statement: str, parameters, context, executemany) -> None:
    build = _building.get()
    if build is None or build.why_not is not None:
        return
    compiled = getattr(context, "compiled", None)
    if compiled is None or compiled.statement is None:
        build.why_not = "a statement whose tables cannot be told"
        return
    if not getattr(compiled.statement, "is_select", False):
        build.why_not = "a write, or SQL written by hand"
        return
    names = _tables_of.get(compiled)
    if names is None:
        tables = find_tables(compiled.statement, check_columns=True, include_crud=True)
        names = frozenset(table.name for table in tables if isinstance(table, Table))
        _tables_of[compiled] = names
    unwatched = [name for name in names if uncached_tables.get(name) is not None and announced_tables.get(name) is None]
    if unwatched:
        build.why_not = f"reads {unwatched[0]}, which the generation does not watch"


def _keep_seconds(app: Flask) -> int:
    seconds = app.config["PERSONAL_PAGE_SECONDS"]
    csrf_life = app.config.get("WTF_CSRF_TIME_LIMIT", 3600)
    return int(min(seconds, csrf_life / 2)) if csrf_life else int(seconds)


def _next_moment(generation: str, now: datetime) -> str:
    key = f"pages:personal-next:{generation}"
    known = cache_get(key)
    if known is not None and (known == "" or datetime.fromisoformat(known) > now):
        return known
    moments = [moment for find in page_moments if (moment := find(now)) is not None]
    value = min(moments).isoformat() if moments else ""
    cache_set(key, value, timeout=24 * 3600)
    return value


def _page_key(generation: str) -> str:
    now = utcnow()
    today = now.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date().isoformat()
    own = json.dumps(dict(session), sort_keys=True, default=str)
    parts = [generation, code_version(), today, _next_moment(generation, now), request.host_url, request.full_path, own]
    return "personal:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _answer_kept_page():
    """Before the view: the kept page of this person's session, if nothing it shows has changed."""
    if (
        personal_pages.get(request.endpoint or "") is None
        or request.method not in ("GET", "HEAD")
        or not page_cache_on(current_app)
        or not current_app.config["PERSONAL_PAGE_SECONDS"]
        or "_flashes" in session
        or not current_user.is_authenticated
    ):
        return None
    generation = current_generation()
    if generation is None:
        return None
    key = _page_key(generation)
    kept = cache_get(key)
    if kept is not None:
        body, mimetype, form_keys = kept
        for form_key in form_keys:  # each answer's forms get keys of their own, as a page built anew does
            body = body.replace(form_key.encode(), new_form_key().encode())
        return Response(body, mimetype=mimetype)
    g.personal_page = (key, _building.set(_Build()), made_form_keys.set([]))
    return None


def _stop_watching() -> tuple[str, _Build | None, list[str]] | None:
    watching = g.pop("personal_page", None)
    if watching is None:
        return None
    key, build_token, keys_token = watching
    build, form_keys = _building.get(), made_form_keys.get() or []
    _building.reset(build_token)
    made_form_keys.reset(keys_token)
    return key, build, form_keys


def _keep_page(response: Response) -> Response:
    """After the view: keep the page just built, if everything it showed is watched by the generation."""
    watched = _stop_watching()
    if watched is None:
        return response
    key, build, form_keys = watched
    if build is None or build.why_not is not None:
        log.debug("%s not kept: %s", request.endpoint, build.why_not if build else "not watched")
    elif (
        response.status_code == 200
        and not response.direct_passthrough
        and not session.modified
        and "Set-Cookie" not in response.headers
        and current_user.is_authenticated
    ):
        kept = (response.get_data(), response.mimetype, tuple(form_keys))
        cache_set(key, kept, timeout=_keep_seconds(current_app))
    return response


def _forget_build(error) -> None:
    _stop_watching()


def init_app(app: Flask) -> None:
    app.before_request(_answer_kept_page)
    app.after_request(_keep_page)
    app.teardown_request(_forget_build)
