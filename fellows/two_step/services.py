"""Two-step sign-in: a code from an authenticator app (TOTP, RFC 6238, by pyotp) after the password, ten
one-use recovery codes, and devices remembered for a while (ASVS 2.4–2.8, 4.3.1).

The app's secret is sealed with SECRET_KEY (core.sealing) — the server must read it to check codes, so it
cannot be a hash — and recovery codes are kept as hashes. A code works once: the time-step of the last code
used is kept, and an older or equal one is refused, so a code seen over a shoulder cannot be replayed.
"""

from __future__ import annotations

import hmac
import secrets
import time

import pyotp
import segno
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup
from sqlalchemy import delete, select, update

from core import audit
from core.errors import ServiceError
from core.models import utcnow
from core.sealing import SealError, open_seal, seal
from extensions import db
from fellows.models import RecoveryCode, User
from fellows.notifications import notify_security_change

RECOVERY_CODES = 10
#: Codes a step (30 s) either side of now are accepted: a phone's clock is rarely exact.
CLOCK_DRIFT_STEPS = 1


class TwoStepError(ServiceError):
    """A code that does not match, or a change that cannot be made; the message says which."""


def new_secret() -> str:
    """A fresh TOTP secret (160 bits, base32), not yet saved: enrolment keeps it until a code confirms it."""
    return pyotp.random_base32()


def enrolment_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=current_app.config["APP_NAME"])


def qr_code(uri: str) -> Markup:
    """The enrolment address as an inline SVG QR code (segno), labelled for screen readers."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, title="QR code for your authenticator app")
    return Markup(svg)  # noqa: S704 - segno's own SVG, from a value this app made


def _secret(user: User) -> str | None:
    try:
        return open_seal(user.two_step_secret).get("secret") if user.two_step_secret else None
    except SealError:
        return None


def _matching_step(secret: str, code: str, after: int | None) -> int | None:
    """The time-step whose code is ``code``, within the clock drift and later than ``after``, or None."""
    totp = pyotp.TOTP(secret)
    now = int(time.time()) // totp.interval
    for step in range(now - CLOCK_DRIFT_STEPS, now + CLOCK_DRIFT_STEPS + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _clean(code: str | None) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]  # 40 bits each, and attempts are throttled
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=RecoveryCode.hash(code)) for code in codes)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def switch_on(user: User, secret: str, code: str) -> list[str]:
    """Confirm enrolment with a first code from the app; returns the recovery codes, to be shown once."""
    if user.has_two_step:
        raise TwoStepError("Two-step sign-in is already on.")
    step = _matching_step(secret, _clean(code), None)
    if step is None:
        raise TwoStepError("That code does not match. Check the app shows this account, and type the newest code.")
    user.two_step_secret = seal({"secret": secret})
    user.two_step_since = utcnow()
    user.two_step_last_step = step
    user.devices_version += 1
    codes = _new_recovery_codes(user)
    audit.record(user, "two_step.on", f"{user.name} switched two-step sign-in on", f"user {user.id}")
    notify_security_change(user, "two_step")
    db.session.flush()
    return codes


def switch_off(user: User, *, by: User | None = None) -> None:
    """Switch two-step sign-in off (the person, or an organiser for one who lost their phone and codes)."""
    user.two_step_secret = None
    user.two_step_since = None
    user.two_step_last_step = None
    user.devices_version += 1
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    if by is None or by.id == user.id:
        audit.record(user, "two_step.off", f"{user.name} switched two-step sign-in off", f"user {user.id}")
    else:
        audit.record(by, "two_step.reset", f"Two-step sign-in switched off for {user.name}", f"user {user.id}")
    notify_security_change(user, "two_step")
    db.session.flush()


def check_code(user: User, code: str | None) -> bool:
    """Whether ``code`` — from the app, or an unused recovery code — proves the second step; uses it up.

    The account row is locked first, so one code used twice at once is accepted once."""
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    db.session.refresh(user, ["two_step_last_step", "two_step_secret"])
    cleaned = _clean(code)
    secret = _secret(user)
    if secret and cleaned.isdigit() and len(cleaned) == 6:
        step = _matching_step(secret, cleaned, user.two_step_last_step)
        if step is not None:
            user.two_step_last_step = step
            db.session.flush()
            return True
        return False
    used = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == RecoveryCode.hash(cleaned),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
    return used.rowcount == 1


def recovery_codes_left(user: User) -> int:
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        ).all()
    )


def renew_recovery_codes(user: User) -> list[str]:
    """Ten new recovery codes (the old ones stop working), to be shown once."""
    codes = _new_recovery_codes(user)
    audit.record(user, "two_step.codes", f"{user.name} made new recovery codes", f"user {user.id}")
    notify_security_change(user, "recovery_codes")
    db.session.flush()
    return codes


# Remembered devices -------------------------------------------------------------------------------------

DEVICE_COOKIE = "two_step_device"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="two-step-device")


def device_is_remembered(user: User, cookie: str | None) -> bool:
    """Whether this browser's cookie still vouches for ``user`` (within MFA_REMEMBER_DEVICE_DAYS, and no
    sign-out everywhere, new password or two-step change since)."""
    if not cookie:
        return False
    days = current_app.config["MFA_REMEMBER_DEVICE_DAYS"]
    try:
        for value in _serializer().loads(cookie, max_age=days * 86400):
            if value.get("user") == user.id and value.get("devices") == user.devices_version:
                return True
    except (BadSignature, TypeError, AttributeError):
        return False
    return False


def remembered_devices_cookie(user: User, cookie: str | None) -> str:
    """The cookie's new value: this account added to the accounts the browser is remembered for."""
    kept = []
    if cookie:
        try:
            kept = [v for v in _serializer().loads(cookie) if isinstance(v, dict) and v.get("user") != user.id]
        except (BadSignature, TypeError):
            kept = []
    return _serializer().dumps([*kept[-4:], {"user": user.id, "devices": user.devices_version}])


def forget_devices(user: User) -> None:
    """Every remembered device asks for a code again."""
    user.devices_version += 1
    db.session.flush()
