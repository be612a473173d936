"""The application factory: configuration, extensions, blueprints, CLI and error pages."""

import logging
import os

from flask import Flask, abort, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

import config as app_config
from core.request_args import MAX_DATABASE_INT, Request
from extensions import cache, csrf, db, limiter, login_manager, mail, migrate

#: Requests that look like probing: methods no page takes, forms without a CSRF token (ASVS 14.5.1, 7.2).
SECURITY_LOG = logging.getLogger("security")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the Flask application; ``test_config`` overrides everything else (tests use it)."""
    app = Flask(__name__, instance_relative_config=True)
    app.request_class = Request  # query strings and form fields without NUL characters
    os.makedirs(app.instance_path, exist_ok=True)

    app.config.from_mapping(app_config.defaults(app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_mapping(app_config.from_environment())
    if test_config:
        app.config.from_mapping(test_config)
    _refuse_insecure_secret(app)
    _secure_cookies_over_https(app)
    if app.config["TRUSTED_PROXIES"]:
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    # Options an instance's configuration sets win; the pool's health checks stay unless it turns them off.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = app_config.ENGINE_OPTIONS | app.config["SQLALCHEMY_ENGINE_OPTIONS"]

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    cache.init_app(app)

    # Every model module is imported here so that metadata (create_all, Alembic) sees all tables.
    import core.models  # noqa: F401
    import events.models  # noqa: F401
    import fellows.models  # noqa: F401
    import programmes.models  # noqa: F401
    import writeups.models  # noqa: F401
    from core import caching, personal_pages, templating
    from core import mail as outbox

    templating.init_app(app)
    outbox.init_app(app)
    # Before any route is added: <int:...> URL parts then stop at what a database id can be.
    app.url_map.converters["int"] = DatabaseIdConverter
    app.before_request(_refuse_nul_in_path)

    # Each area's blueprint module declares its URLs and registers what it adds to core (core.registry),
    # so importing it here is all an area needs.
    from core import blueprint as core_pages
    from core.cli import register_cli
    from events import blueprint as events_pages
    from events.calendar import blueprint as calendar_pages
    from fellows import blueprint as fellows_pages
    from fellows.manage import blueprint as fellows_manage_pages
    from programmes import blueprint as programmes_pages
    from writeups import blueprint as notes_pages

    for bp in (
        core_pages.bp,
        fellows_pages.auth_bp,
        fellows_pages.fellows_bp,
        fellows_manage_pages.bp,
        fellows_pages.organisations_bp,
        events_pages.bp,
        notes_pages.bp,
        calendar_pages.bp,
        calendar_pages.import_bp,
        programmes_pages.bp,
        programmes_pages.manage_bp,
    ):
        app.register_blueprint(bp)
    register_cli(app)
    _register_error_pages(app)
    app.after_request(_security_headers)
    caching.init_app(app)  # after the path checks above: 304s and kept pages only for well-formed requests
    personal_pages.init_app(app)  # after the shared pages: a signed-in person's own kept pages
    return app


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)


def _secure_cookies_over_https(app: Flask) -> None:
    """Served over HTTPS (BASE_URL says so), cookies are Secure and browsers are told to stay on HTTPS."""
    https = app.config["BASE_URL"].startswith("https://")
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        app.config["SESSION_COOKIE_SECURE"] = https
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config["SESSION_COOKIE_SECURE"])
    app.config.setdefault("HSTS", https)
    # ASVS 3.4.4: a Secure cookie named __Host- is one browsers accept only from this host, over HTTPS, for
    # the whole site: no subdomain or plain-HTTP page can plant or overwrite it. (Over http:// on a
    # developer's machine, browsers refuse such names, so the plain ones stay.)
    if app.config["SESSION_COOKIE_SECURE"] and not app.config.get("SESSION_COOKIE_DOMAIN"):
        if app.config.get("SESSION_COOKIE_NAME", "session") == "session":
            app.config["SESSION_COOKIE_NAME"] = "__Host-session"
        if app.config.get("REMEMBER_COOKIE_SECURE") and "REMEMBER_COOKIE_NAME" not in app.config:
            app.config["REMEMBER_COOKIE_NAME"] = "__Host-remember"


#: A year, and every subdomain: once seen over HTTPS, a browser never tries plain HTTP for this site.
HSTS = "max-age=31536000; includeSubDomains"


def _security_headers(response):
    """Defence in depth: no framing, no sniffing, no script from elsewhere, and no Referer carrying
    secret-bearing URLs (invitation, reset and calendar-feed links) to other sites."""
    if current_app.config["HSTS"]:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` for ids: a number too big for an INTEGER column is a 404, not a database error."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_DATABASE_INT)
        super().__init__(map, *args, **kwargs)


def _refuse_nul_in_path():
    """A path with a NUL character names nothing here (and PostgreSQL refuses NUL in text, so a token
    carrying one must not reach a query). Query strings and forms are cleaned by ``Request``."""
    if "\x00" in request.path:
        abort(404)


def _refuse_insecure_secret(app: Flask) -> None:
    """A placeholder SECRET_KEY would let anyone forge sessions: refused in every mode, debug included
    (``make dev`` makes a real one in instance/config.py), except by the test factory."""
    if app.testing:
        return
    key = app.config.get("SECRET_KEY") or ""
    if key in app_config.INSECURE_SECRET_KEYS or len(key) < 16:
        raise RuntimeError(
            "SECRET_KEY is not set to a real secret. Set the SECRET_KEY environment variable "
            "(for example: python -c 'import secrets; print(secrets.token_hex(32))')."
        )


ERROR_TITLES = {
    400: "Bad request",
    403: "You do not have access to this page",
    404: "Page not found",
    405: "Method not allowed",
    413: "The upload is too large",
    429: "Too many attempts",
    500: "Something went wrong",
}


def _register_error_pages(app: Flask) -> None:
    def render_error(code: int, message: str | None = None):
        return render_template("errors/error.html", code=code, title=ERROR_TITLES[code], message=message), code

    for code in ERROR_TITLES:
        if code in (405, 500):
            continue
        app.register_error_handler(code, lambda e, code=code: render_error(code, getattr(e, "description", None)))

    @app.errorhandler(405)
    def method_not_allowed(error):
        # ASVS 14.5.1: a method no page uses is a probe or a broken client, worth a line in the log.
        SECURITY_LOG.warning("method not allowed: %s %s from %s", request.method, request.path, request.remote_addr)
        body, code = render_error(405, error.description)
        return body, code, {"Allow": ", ".join(error.valid_methods or ())}

    @app.errorhandler(500)
    def internal_error(error):
        # A failed request must not leave half a transaction behind for the next one.
        db.session.rollback()
        return render_error(500)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        SECURITY_LOG.info("refused form without a valid CSRF token: %s %s", request.method, request.path)
        return render_error(
            400,
            "The form had expired or was sent from somewhere else. Go back, reload the page and try again.",
        )


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite enforces foreign keys and waits for locks only when asked to."""
    module = type(dbapi_connection).__module__
    if "sqlite" not in module:
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
