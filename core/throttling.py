"""Counting failures that must not repeat for ever: wrong passwords at sign-in and on the account page,
counted per account as well as per address, in the same storage as Flask-Limiter's limits (Redis when
``REDIS_URL`` is set, so every worker and machine counts together).

A page asks ``exceeded`` before it checks a password, ``failed`` after a wrong one, and ``clear`` when the
owner proves who they are another way (a password reset by email unlocks the account).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app
from limits import parse

from extensions import limiter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Failures:
    #: What is counted ("sign-in"), part of each counter's key.
    name: str
    #: The configuration key of the limit, e.g. "5 per 5 minutes".
    limit_setting: str

    def _limit(self):
        return parse(current_app.config[self.limit_setting])

    def _key(self, who: str) -> tuple[str, str, str]:
        return current_app.config["RATELIMIT_KEY_PREFIX"], self.name, who.strip().lower()

    def exceeded(self, who: str) -> bool:
        """True when ``who`` (an account or an address) has used up its failures for now."""
        if not limiter.enabled:
            return False
        try:
            return not limiter.limiter.test(self._limit(), *self._key(who))
        except Exception:  # storage unreachable: as Flask-Limiter's own fallback, never refuse a sign-in for it
            log.warning("Failure counter %s unavailable", self.name, exc_info=True)
            return False

    def failed(self, who: str) -> None:
        if not limiter.enabled:
            return
        try:
            limiter.limiter.hit(self._limit(), *self._key(who))
        except Exception:
            log.warning("Failure counter %s unavailable", self.name, exc_info=True)

    def clear(self, who: str) -> None:
        try:
            limiter.limiter.clear(self._limit(), *self._key(who))
        except Exception:
            log.warning("Failure counter %s unavailable", self.name, exc_info=True)

    def minutes(self) -> int:
        """How long the window lasts, in whole minutes, for the message."""
        return max(1, round(self._limit().get_expiry() / 60))


def _account_key(kind: str) -> str:
    """The signed-in account's own id (never Flask-Login's get_id(), which carries the current second and
    would start a fresh count every second), or the address when signed out."""
    from flask import request
    from flask_login import current_user

    return f"{kind}:{current_user.id}" if current_user.is_authenticated else f"address:{request.remote_addr}"


def _organiser_key() -> str:
    return _account_key("organiser")


def sends_mail(view):
    """An organiser's action that sends email (invitations, messages, review requests): one shared limit per
    organiser across all of them (ORGANISER_MAIL_RATE_LIMIT), so a stolen session or a stuck key cannot
    mail the whole network; the refusal says why and sends nothing."""
    return limiter.shared_limit(
        lambda: current_app.config["ORGANISER_MAIL_RATE_LIMIT"],
        scope="organiser-mail",
        key_func=_organiser_key,
        methods=["POST"],
        error_message=(
            "You have sent a lot of email in a short time. Nothing was sent this time: wait a few minutes, "
            "then try again."
        ),
    )(view)


def _person_key() -> str:
    return _account_key("person")


def _not_searching() -> bool:
    from flask import request

    return not request.args.get("q", "").strip()


def costly(view, *, searches_only: bool = False, methods: list[str] | None = None):
    """Searches, exports and uploads: one shared limit per person (or address, signed out) across all of
    them (COSTLY_RATE_LIMIT), against scraping, mass export and upload floods (ASVS 11.1.4). With
    ``searches_only`` a list page counts only when it searches (a ``q``); ``methods`` limits the count to
    those (an upload is its POST, not the form). Someone working at human speed
    never meets the limit; the refusal (429) says to slow down."""
    return limiter.shared_limit(
        lambda: current_app.config["COSTLY_RATE_LIMIT"],
        scope="costly",
        key_func=_person_key,
        exempt_when=_not_searching if searches_only else None,
        methods=methods,
        error_message=(
            "That is a lot of searching, downloading or uploading in a short time. Nothing was done this "
            "time: wait a few minutes, then try again."
        ),
    )(view)
