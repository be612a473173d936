"""Sealed values: secrets (single-use links) kept encrypted with a key derived from SECRET_KEY.

An email carrying a password-reset, invitation or review link waits in the outbox until it is sent.
Its stored bodies hold a placeholder instead of the link, and the link itself is sealed with
Fernet (AES with an HMAC, from the ``cryptography`` library), so a copy of the database without
the app's SECRET_KEY holds no usable link. The sender opens the seal only to send.
"""

from __future__ import annotations

import base64
import json

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from core.errors import ServiceError

__all__ = ["SealError", "open_seal", "seal"]

#: Distinguishes this use of SECRET_KEY from every other (sessions, CSRF): the derived key is its own.
_PURPOSE = b"fellowship outbox sealed values v1"


class SealError(ServiceError):
    """The sealed values cannot be opened, e.g. because SECRET_KEY has changed since they were sealed."""


def _fernet(secret_key: str | None = None) -> Fernet:
    key = (secret_key or current_app.config["SECRET_KEY"]).encode()
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(key)
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(values: dict[str, str]) -> str:
    """The values as one encrypted, authenticated string."""
    return _fernet().encrypt(json.dumps(values, sort_keys=True).encode()).decode("ascii")


def open_seal(sealed: str) -> dict[str, str]:
    """The values sealed by ``seal``; SealError if this SECRET_KEY did not seal them."""
    try:
        return json.loads(_fernet().decrypt(sealed.encode("ascii")))
    except (InvalidToken, ValueError) as error:
        raise SealError("The message's links were sealed with another SECRET_KEY and cannot be opened.") from error
