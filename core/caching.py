"""The shared cache (Flask-Caching: Redis when ``REDIS_URL`` is set) and HTTP caching of anonymous pages.

**What may be cached.** Pages that every anonymous visitor sees alike — the events list, an event page,
write-ups, the home page — are registered in ``shared_pages`` by their area. For an anonymous GET with
nothing in the session that the page would show (no flashed message), the page is answered from its
validator: ``304 Not Modified`` when the browser's ``If-None-Match`` matches, else the body kept in the
shared cache, else the view renders it. A rendered page is kept and sent with a shared ETag and
``Cache-Control: public, no-cache`` (any cache may keep it but must ask again each time, which costs a
304) only when, after rendering, it is still anonymous, carries no CSRF token, changed nothing in the
session (a flash read or a token made does) and sets no cookie. Every other response of a signed-in
person (or with a session changed) is ``Cache-Control: private, no-store`` unless the view chose
otherwise — no browser or proxy keeps it, so the back button shows nothing after signing out (ASVS
8.2.1) — and every page says ``Vary: Cookie``.

**Why it is never stale.** The validator is a digest of a *generation* token held in the shared cache,
the page's URL, today's date, the next moment the page changes by itself (an event starting, a
registration window closing: ``SharedPage.next_change``) and the code's own version. Every commit that
wrote to a table pages show — whichever process made it: a web worker on any machine, the scheduler, a
CLI command — replaces the generation with a new random token *after* the commit, so no page rendered
from the old data can be kept under the new token, and a lost token (Redis restarted, evicted) is
replaced by a new random one, never by an earlier value. A page only ever repeats under the token that
was current before its data was read. Writes that bypass SQLAlchemy (psql by hand) are not seen: bump
the generation with ``flask cache clear`` after such a change.

The token is only as shared as the cache: with ``SimpleCache`` (no ``REDIS_URL``) each process has its
own, so page caching is off by default unless the cache is Redis or the app is one test process
(``PAGE_CACHE`` decides; the feed caches below stay on, as their keys are content fingerprints). What is
kept per process under the token (the signed-in person, ``kept_until_change``) follows the cache alone:
on with Redis or in a test process, whatever ``PAGE_CACHE`` says.

**Content-keyed values** (built calendar feeds by their ETag, each event's VEVENT by its content) need no
invalidation at all: a change is a new key. ``SharedStore`` gives them to code that must not know Flask.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app, g, has_app_context, request, session
from flask.cli import with_appcontext
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from core.models import utcnow
from core.registry import Registry, announced_tables, uncached_tables
from extensions import cache

log = logging.getLogger(__name__)

GENERATION_KEY = "pages:generation"
#: Tables no cached answer reads (no shared page, no kept user, no kept value): writing them does not make a
#: new generation. Areas register theirs (``core.registry.uncached_tables``); these are the platform's own (the
#: scheduler writes ``job_runs`` every minute; sending mail and auditing write the others). A write of a table
#: that is read, but of nothing kept shows (the time of a person's last sign-in), goes inside
#: ``unseen_by_cached_answers``.
for _table, _why in {
    "job_runs": "the scheduler's runs",
    "outbox_messages": "the mail outbox",
    "audit_entries": "the audit log (its page is never cached)",
    "used_form_keys": "one-use form keys",
    "alembic_version": "the schema's version",
}.items():
    uncached_tables.register(_table, _why)
announced_tables.register(
    "outbox_messages",
    "how many emails failed or bounced (an organiser's home): core.mail announces each message entering or "
    "leaving those states",
)
_WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE", "REPLACE", "MERGE", "CREATE", "DROP", "ALTER", "WITH")


# Safe access: the cache is an optimisation, so a Redis outage answers "not cached", never a 500 -----------


def cache_get(key: str):
    try:
        return cache.get(key)
    except Exception as error:  # noqa: BLE001  (redis.ConnectionError and friends)
        log.warning("cache get %s failed: %s", key, error)
        return None


def cache_set(key: str, value, timeout: int | None = None) -> bool:
    """Keep ``value``; False (and a warning logged) if the cache could not be reached."""
    try:
        cache.set(key, value, timeout=timeout)
    except Exception as error:  # noqa: BLE001
        log.warning("cache set %s failed: %s", key, error)
        return False
    return True


class SharedStore:
    """A prefix of the shared cache with ``get_many``/``set_many``, for code that must not import Flask
    (``core.lib.ical.feed_bytes``); values are content-keyed, so they are kept a day and never invalidated. What
    code made from the content is kept under the code's version as well (``code_version``): after a
    deployment, or beside a machine still running the old code, nothing made by other code is read."""

    def __init__(self, prefix: str, timeout: int = 24 * 3600):
        self.prefix = prefix
        self.timeout = timeout

    def _key(self, key: str) -> str:
        return f"{self.prefix}{code_version()}:{key}"

    def get_many(self, keys: list[str]) -> list:
        if not keys:
            return []
        try:
            return list(cache.get_many(*(self._key(key) for key in keys)))
        except Exception as error:  # noqa: BLE001
            log.warning("cache get_many failed: %s", error)
            return [None] * len(keys)

    def set_many(self, values: dict) -> None:
        if not values:
            return
        try:
            cache.set_many({self._key(key): value for key, value in values.items()}, timeout=self.timeout)
        except Exception as error:  # noqa: BLE001
            log.warning("cache set_many failed: %s", error)


# The generation: a new random token after every commit that wrote what pages show ---------------------

#: Set when this thread's connection wrote something since the last commit or rollback.
_wrote: ContextVar[bool] = ContextVar("pages_wrote", default=False)
#: Set inside ``unseen_by_cached_answers``.
_unseen: ContextVar[bool] = ContextVar("unseen_writes", default=False)


@contextmanager
def unseen_by_cached_answers():
    """Writes made inside leave the generation as it is: for a column nothing cached shows, in a table that
    is otherwise read (a person's last sign-in time), so that each sign-in does not drop every kept page,
    user and value on every machine. Nothing else may be written inside."""
    token = _unseen.set(True)
    try:
        yield
    finally:
        _unseen.reset(token)


@event.listens_for(Engine, "before_cursor_execute")
def _note_write(conn, cursor, statement: str, parameters, context, executemany) -> None:
    words = statement.lstrip().split(None, 1)
    if not words or words[0].upper() not in _WRITES or _wrote.get() or _unseen.get():
        return
    table = getattr(getattr(getattr(context, "compiled", None), "statement", None), "table", None)
    if uncached_tables.get(getattr(table, "name", "")) is not None:
        return
    _wrote.set(True)


@event.listens_for(Session, "after_commit")
def _new_generation_after_commit(session: Session) -> None:
    if _wrote.get():
        _wrote.set(False)
        if has_app_context() and new_generation() is None:
            # Kept users expire by themselves (fellows.user_cache), kept values and pages by their timeouts.
            log.error("a commit wrote what cached answers show, but no new generation could be made")


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_writes(session: Session) -> None:
    _wrote.set(False)


def announce_change() -> None:
    """This transaction changed something cached answers show in a table whose writes otherwise make no new
    generation (``core.registry.announced_tables``: an email given up on): its commit makes a new one."""
    _wrote.set(True)


def new_generation() -> str | None:
    """Make every shared page's validator new (after a commit; or by hand, ``flask cache clear``); None if
    the cache could not be reached."""
    token = uuid.uuid4().hex
    return token if cache_set(GENERATION_KEY, token, timeout=0) else None


def current_generation() -> str | None:
    """The current token (made if there is none), or None when the cache cannot be reached."""
    token = cache_get(GENERATION_KEY)
    if token is not None:
        return token
    token = uuid.uuid4().hex
    try:
        if cache.add(GENERATION_KEY, token, timeout=0):
            return token
        return cache.get(GENERATION_KEY)
    except Exception as error:  # noqa: BLE001
        log.warning("cache generation failed: %s", error)
        return None


def shared_generation() -> str | None:
    """The current token where every process shares it (Redis, or one test process), else None. A
    per-process copy of something the database holds, kept under this token, is dropped by a commit in any
    process. Whether anonymous pages are kept (``PAGE_CACHE``) does not change it."""
    if not _generation_shared(current_app):
        return None
    return current_generation()


def kept_until_change(key: str, compute: Callable[[], object], timeout: int = 3600):
    """``compute()``, kept in the shared cache under the current generation: the same answer, with no work,
    until a commit anywhere writes what pages show (or ``timeout`` seconds pass, for answers that also
    change with time). Computed every time where the generation is not shared by every process. The
    generation is read before ``compute`` reads its data, so an answer is never kept under a newer token."""
    generation = shared_generation()
    if generation is None:
        return compute()
    full_key = f"kept:{generation}:{key}"
    kept = cache_get(full_key)
    if kept is not None:
        return kept[0]
    value = compute()
    cache_set(full_key, (value,), timeout=timeout)
    return value


# Shared pages -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SharedPage:
    """A page every anonymous visitor sees alike. ``next_change(now)``: the next moment the page changes
    with no write to the database (an event starting or ending, registration opening or closing), or
    None; it is asked once per generation and again only once that moment has passed."""

    next_change: Callable[[datetime], datetime | None] | None = None


#: Endpoints of shared pages, registered by their areas (e.g. "events.index").
shared_pages: Registry[SharedPage] = Registry("pages shared by every anonymous visitor")

_code_version: str | None = None


def code_version() -> str:
    """A digest of the templates and Python code: a deployment with other code renders other pages."""
    global _code_version
    if _code_version is None:
        root = Path(__file__).resolve().parent.parent
        hasher = hashlib.sha256()
        files = [*root.glob("*.py"), *root.glob("templates/**/*.html")]
        for package in ("core", "events", "fellows", "programmes"):
            files += root.glob(f"{package}/**/*.py")
        for path in sorted(files):
            hasher.update(str(path.relative_to(root)).encode())
            hasher.update(path.read_bytes())
        _code_version = hasher.hexdigest()[:16]
    return _code_version


def _generation_shared(app: Flask) -> bool:
    """Every process sees the same generation: the cache is Redis, or the app is one test process."""
    return app.config.get("CACHE_TYPE") == "RedisCache" or app.testing


def page_cache_on(app: Flask) -> bool:
    setting = app.config.get("PAGE_CACHE")
    if setting is None:  # auto: on when every process shares the generation
        return _generation_shared(app)
    return bool(setting)


def _anonymous_and_clean(*, load_user: bool) -> bool:
    """No one signed in and no message waiting. Before the view, loading the user also reads a remember-me
    cookie (which puts ``_user_id`` in the session); after it, the session alone says, since a view may
    leave ``current_user`` unusable (``login_user(current_user)`` makes the proxy point at itself)."""
    if load_user:
        from flask_login import current_user

        if current_user.is_authenticated:
            return False
    return "_user_id" not in session and "_flashes" not in session


def _next_change(endpoint: str, page: SharedPage, generation: str, now: datetime) -> str:
    if page.next_change is None:
        return ""
    key = f"pages:next:{generation}:{endpoint}"
    known = cache_get(key)
    if known is not None and (known == "" or datetime.fromisoformat(known) > now):
        return known
    moment = page.next_change(now)
    value = moment.isoformat() if moment else ""
    cache_set(key, value, timeout=24 * 3600)
    return value


def _page_etag(endpoint: str, page: SharedPage, generation: str) -> str:
    now = utcnow()
    today = now.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date().isoformat()
    parts = [generation, code_version(), today, _next_change(endpoint, page, generation, now)]
    parts += [request.host_url, request.full_path]
    return "p-" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def _answer_shared_page():
    """Before the view: 304, or the kept body, for an anonymous visitor of a shared page."""
    page = shared_pages.get(request.endpoint or "")
    if page is None or request.method not in ("GET", "HEAD") or not page_cache_on(current_app):
        return None
    if not _anonymous_and_clean(load_user=True):
        return None
    generation = current_generation()
    if generation is None:
        return None
    etag = _page_etag(request.endpoint, page, generation)
    g.shared_page_etag = etag
    # If-None-Match compares weakly (RFC 9110 13.1.2): a proxy that compresses marks the ETag W/"...".
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        kept = cache_get("page:" + etag)
        if kept is None:
            return None
        body, mimetype = kept
        response = Response(body, mimetype=mimetype)
    g.shared_page_answered = True
    return _mark_shared(response, etag)


def _mark_shared(response: Response, etag: str) -> Response:
    response.set_etag(etag)
    response.headers["Cache-Control"] = "public, no-cache"
    response.vary.add("Cookie")
    return response


def _cache_headers(response: Response) -> Response:
    """After the view: keep and validate a clean anonymous page; mark everything personal private."""
    if g.get("shared_page_answered"):
        return response
    etag = g.get("shared_page_etag")
    if (
        etag is not None
        and response.status_code == 200
        and not response.direct_passthrough
        and not session.modified
        and "csrf_token" not in g  # flask_wtf.csrf.generate_csrf was called: the page carries a token
        and "Set-Cookie" not in response.headers
        and _anonymous_and_clean(load_user=False)
    ):
        kept = (response.get_data(), response.mimetype)
        cache_set("page:" + etag, kept, timeout=current_app.config["PAGE_CACHE_SECONDS"])
        return _mark_shared(response, etag)
    if "_user_id" in session or session.modified:  # signed in, or something of this visitor's own
        response.headers.setdefault("Cache-Control", "private, no-store")
        response.vary.add("Cookie")
    return response


@click.command("cache")
@click.argument("action", type=click.Choice(["clear"]))
@with_appcontext
def cache_command(action: str) -> None:
    """``flask cache clear``: empty the shared cache (feeds, pages) and give every page a new validator."""
    cache.clear()
    new_generation()
    click.echo("Cache cleared; every page has a new validator.")


def init_app(app: Flask) -> None:
    app.before_request(_answer_shared_page)
    app.after_request(_cache_headers)
    app.cli.add_command(cache_command)
