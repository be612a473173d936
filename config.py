"""Configuration: defaults, then ``instance/config.py``, then the environment, then test overrides.

Everything secret or deployment-specific comes from the environment; nothing secret lives in the repo.
"""

import os
from datetime import timedelta
from pathlib import Path

#: Values that mark a SECRET_KEY as a placeholder rather than a real secret.
INSECURE_SECRET_KEYS = {"", "dev", "change-me", "changeme", "secret"}

#: Engine options every deployment gets unless its configuration sets them otherwise.
ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_recycle": 1800}


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def defaults(instance_path: str) -> dict:
    """The built-in configuration, suitable for development on the embedded SQLite database."""
    return {
        "SECRET_KEY": "dev",
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(Path(instance_path) / "fellowship.sqlite"),
        # Merged under any options instance/config.py sets (app.py): a pooled connection is tested
        # before use (one cheap round trip), so a restarted PostgreSQL costs no request a 500, and none
        # is kept longer than half an hour (a firewall or server that drops idle ones then never bites).
        "SQLALCHEMY_ENGINE_OPTIONS": dict(ENGINE_OPTIONS),
        # Upload limit for photos and CSV/ics imports: larger requests get the 413 page.
        "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
        "APP_NAME": "Policy Fellowship",
        "TIMEZONE": "Europe/London",
        # Absolute links in emails and calendar files.
        "BASE_URL": "http://127.0.0.1:5000",
        "MAIL_DEFAULT_SENDER": "Policy Fellowship <events@localhost>",
        # Where replies go when no organiser sent the message (the office); MAIL_DEFAULT_SENDER stays a
        # no-reply address of the deployment's own domain, so SPF and DMARC alignment hold.
        "MAIL_REPLY_TO": None,
        # "log": print each message and append it to instance/mail.log (development).
        # "smtp": send over SMTP with Flask-Mailman (production).
        "MAIL_TRANSPORT": "log",
        "MAIL_SERVER": "localhost",
        "MAIL_PORT": 25,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_TIMEOUT": 10,
        # Deliver queued mail straight after the transaction that queued it commits.
        # Production leaves this off and runs `flask mail send` from a worker instead.
        "MAIL_SEND_ON_COMMIT": True,
        "MAIL_MAX_ATTEMPTS": 6,
        # The envelope sender (Return-Path), where bounces go; None: MAIL_DEFAULT_SENDER's address.
        "MAIL_RETURN_PATH": None,
        # DKIM (core.mail.signing): an RSA private key in PEM and its selector sign every SMTP message for
        # DKIM_DOMAIN (None: the domain of MAIL_DEFAULT_SENDER). Unset: mail is sent unsigned.
        "DKIM_KEY_FILE": None,
        "DKIM_SELECTOR": None,
        "DKIM_DOMAIN": None,
        # Where throttling counts live. memory:// is per worker process: with several workers (or
        # machines) set REDIS_URL, which this defaults to, so every worker counts the same attempts.
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_KEY_PREFIX": "fellowship",
        # Said outright: Flask-Limiter is one object for every app in a process and, unset, an app
        # takes whatever the previous app left switched (a test that turned it off turned it off for all).
        "RATELIMIT_ENABLED": True,
        # If Redis is unreachable, throttle per worker rather than refuse every sign-in.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": "5 per 5 minutes",
        # Wrong current passwords on the account page (change, delete), per account and per address.
        "PASSWORD_CHECK_RATE_LIMIT": "5 per 15 minutes",
        # Wrong codes at the second step of two-step sign-in, per account.
        "MFA_RATE_LIMIT": "5 per 5 minutes",
        # Two-step sign-in (fellows.two_step): organisers must switch it on before reaching organiser pages;
        # "remember this device" lasts this many days; a password accepted waits this long for its code.
        "REQUIRE_ORGANISER_MFA": False,
        "MFA_REMEMBER_DEVICE_DAYS": 30,
        "MFA_PENDING_MINUTES": 10,
        # Organisers' actions that send email (invitations, messages, review requests), per organiser.
        "ORGANISER_MAIL_RATE_LIMIT": "60 per 10 minutes",
        # Searches, exports and uploads, all together, per person (core.throttling.costly).
        "COSTLY_RATE_LIMIT": "200 per 10 minutes",
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are believed (werkzeug's
        # ProxyFix); 0 believes none, so a client cannot forge its address.
        "TRUSTED_PROXIES": 0,
        # The shared cache (Flask-Caching): built calendar feeds, their events' VEVENTs, anonymous pages.
        # SimpleCache is per process; REDIS_URL switches to RedisCache, shared by every worker and machine.
        "CACHE_TYPE": "SimpleCache",
        "CACHE_KEY_PREFIX": "fellowship:",
        "CACHE_DEFAULT_TIMEOUT": 300,
        "CACHE_THRESHOLD": 20000,
        # HTTP validators (304) and kept bodies for pages every anonymous visitor sees alike (core.caching).
        # None: on when the cache is shared (Redis) or in a test process; with per-process SimpleCache and
        # several workers, a commit in one would not make the others' validators new.
        "PAGE_CACHE": None,
        "PAGE_CACHE_SECONDS": 300,
        # Signed-in pages kept per person between changes (core.personal_pages), on with PAGE_CACHE: at most
        # this long (and at most half a CSRF token's life); 0 switches it off.
        "PERSONAL_PAGE_SECONDS": 300,
        # None: Secure cookies and HSTS exactly when BASE_URL is https:// (every real deployment; not
        # `make run` on http://127.0.0.1). SESSION_COOKIE_SECURE=true/false in the environment decides instead.
        "SESSION_COOKIE_SECURE": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # "Keep me signed in" lasts this long, and no sign-in (remembered or not) is accepted after it (ASVS
        # 3.3.2 asks for at most 30 days): then the person signs in again.
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "INVITATION_DAYS": 7,
        "PASSWORD_RESET_HOURS": 2,
        # Retention (``flask purge``, run daily from cron): dietary and access answers and booking
        # comments go this many days after the event (the catering counts stay) ...
        "RETENTION_BOOKING_ANSWERS_DAYS": 30,
        # ... and the text of emails this many days after they were sent (who, what kind, when stay).
        "RETENTION_EMAIL_DAYS": 30,
        # ... and experts' private links (and their free-text answers) this many days after the visit ends.
        "RETENTION_EXPERT_LINK_DAYS": 30,
        # How long an unsubscribe link in an email works (each email carries a fresh one).
        "UNSUBSCRIBE_LINK_DAYS": 90,
        # /.well-known/security.txt (RFC 9116): where to report a vulnerability, e.g. "security@example.org" or
        # "mailto:…, https://…". None: no file is served (404), rather than one naming an address nobody reads.
        "SECURITY_CONTACT": None,
        # Its Expires field, RFC 3339 (e.g. "2027-06-30T00:00:00Z"); None: a year from the start of today (UTC).
        "SECURITY_TXT_EXPIRES": None,
        "SECURITY_TXT_LANGUAGES": "en",
        # Its Policy field: a page saying how reports are handled (e.g. the deployment's SECURITY.md); None: left out.
        "SECURITY_POLICY_URL": None,
        # A free/busy address an expert gives is fetched with this deadline (seconds), at most 1 MB, https only
        # and never from a private or loopback address. FREEBUSY_ALLOW_LOOPBACK admits 127.0.0.1 over plain
        # http for the tests' own server, and only while TESTING is on: never set it in a deployment.
        "FREEBUSY_TIMEOUT_SECONDS": 5,
        "FREEBUSY_ALLOW_LOOPBACK": False,
        "PAGE_SIZE": 20,
        #: Each list on an event's attendee page (confirmed, waitlist, cancelled) shows this many a page.
        "ATTENDEES_PER_PAGE": 100,
        # Expert suggestions add how close in meaning a profile is to a question (wordllama, offline, its
        # weights inside the package); False, or wordllama missing: topics and shared words only.
        "MATCHING_SEMANTIC": True,
        # Care for the expert network: an expert asked this many times in a term (a quarter: January,
        # April, July, October), across every fellow, is not suggested again until the next; 0: no cap.
        "EXPERT_ASKS_PER_TERM": 3,
    }


def from_environment() -> dict:
    """Settings taken from environment variables, where set."""
    env = os.environ
    config: dict = {}
    if "SECRET_KEY" in env:
        config["SECRET_KEY"] = env["SECRET_KEY"]
    if "DATABASE_URL" in env:
        config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(env["DATABASE_URL"])
    if env.get("REDIS_URL"):
        config["REDIS_URL"] = env["REDIS_URL"]
        config["RATELIMIT_STORAGE_URI"] = env["REDIS_URL"]
        config["CACHE_TYPE"] = "RedisCache"
        config["CACHE_REDIS_URL"] = env["REDIS_URL"]
        # A slow or absent Redis must not hold up a page: the cache is an optimisation (core.caching).
        config["CACHE_OPTIONS"] = {"socket_timeout": 2, "socket_connect_timeout": 2}
    for name in (
        "BASE_URL",
        "TIMEZONE",
        "MAIL_SERVER",
        "MAIL_USERNAME",
        "MAIL_PASSWORD",
        "MAIL_DEFAULT_SENDER",
        "MAIL_REPLY_TO",
        "MAIL_RETURN_PATH",
        "MAIL_TRANSPORT",
        "DKIM_KEY_FILE",
        "DKIM_SELECTOR",
        "DKIM_DOMAIN",
        "RATELIMIT_STORAGE_URI",
        "RATELIMIT_KEY_PREFIX",
        "LOGIN_RATE_LIMIT",
        "PASSWORD_CHECK_RATE_LIMIT",
        "ORGANISER_MAIL_RATE_LIMIT",
        "COSTLY_RATE_LIMIT",
        "MFA_RATE_LIMIT",
        "CACHE_KEY_PREFIX",
        "APP_NAME",
        "CALENDAR_UID_DOMAIN",
        "SECURITY_CONTACT",
        "SECURITY_TXT_EXPIRES",
        "SECURITY_TXT_LANGUAGES",
        "SECURITY_POLICY_URL",
    ):
        if name in env:
            config[name] = env[name]
    for name in (
        "MAIL_PORT",
        "MAIL_MAX_ATTEMPTS",
        "RETENTION_BOOKING_ANSWERS_DAYS",
        "RETENTION_EMAIL_DAYS",
        "RETENTION_EXPERT_LINK_DAYS",
        "EXPERT_ASKS_PER_TERM",
        "UNSUBSCRIBE_LINK_DAYS",
        "TENURE_ENDING_SOON_DAYS",
        "PAGE_SIZE",
        "PERSONAL_PAGE_SECONDS",
        "ATTENDEES_PER_PAGE",
        "TRUSTED_PROXIES",
        "MFA_REMEMBER_DEVICE_DAYS",
        "MFA_PENDING_MINUTES",
    ):
        if name in env:
            config[name] = int(env[name])
    for name in (
        "MAIL_USE_TLS",
        "MAIL_USE_SSL",
        "MAIL_SEND_ON_COMMIT",
        "SESSION_COOKIE_SECURE",
        "PAGE_CACHE",
        "REQUIRE_ORGANISER_MFA",
        "MATCHING_SEMANTIC",
    ):
        if name in env:
            config[name] = _bool(name, False)
    return config


def normalise_database_url(url: str) -> str:
    """Accept the ``postgres://`` and ``postgresql://`` URLs hosting providers hand out; use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url
