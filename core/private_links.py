"""Private links: a secret token in a URL path is swapped, on first use, for the visitor's session.

Emails must carry a link with its secret (an expert, a reviewer, a person choosing a password has no account),
but a URL with a secret in it ends up in the browser's history, in proxies' access logs and in Referer headers.
So a link's first GET keeps the token, sealed, in the session (a signed cookie, readable by its holder; the seal
keeps the token itself out of it) and redirects to a clean address that names no secret; the pages reached so
are sent with ``Referrer-Policy: no-referrer``. Each kind of link keeps its tokens under a key (the expert's
invitation id, say), so two links of one kind open in one browser do not overwrite each other.
"""

from __future__ import annotations

from flask import make_response, redirect, session

from core.sealing import SealError, open_seal, seal

SESSION_KEY = "private_links"
#: The most links a session keeps; the oldest is forgotten first (a cookie holds about 4 KB).
KEPT_AT_MOST = 6


def keep(kind: str, token: str, key: str | int = "") -> None:
    """Keep ``token`` in the session as the visitor's link of ``kind`` (for ``key``)."""
    links = dict(session.get(SESSION_KEY) or {})
    name = f"{kind}:{key}"
    links.pop(name, None)
    links[name] = seal({"token": token})
    while len(links) > KEPT_AT_MOST:
        links.pop(next(iter(links)))
    session[SESSION_KEY] = links


def held(kind: str, key: str | int = "") -> str | None:
    """The token kept for ``kind`` (and ``key``), or None when this browser has not opened such a link."""
    sealed = (session.get(SESSION_KEY) or {}).get(f"{kind}:{key}")
    if not sealed:
        return None
    try:
        return open_seal(sealed).get("token")
    except SealError:
        return None


def forget(kind: str, key: str | int = "") -> None:
    """Drop the kept token (once its link is used up)."""
    links = dict(session.get(SESSION_KEY) or {})
    if links.pop(f"{kind}:{key}", None) is not None:
        session[SESSION_KEY] = links


def private(response):
    """Send a page reached by a private link with no Referer to anywhere, and out of search engines."""
    response = make_response(response)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def swap(kind: str, token: str, clean_url: str, key: str | int = ""):
    """Keep ``token`` and redirect to ``clean_url``: the first answer to a GET of a private link."""
    keep(kind, token, key)
    return private(redirect(clean_url))
