"""DKIM signatures (RFC 6376, with dkimpy) on the mail the SMTP transport sends.

Set DKIM_KEY_FILE (an RSA private key in PEM) and DKIM_SELECTOR, and every message is signed for
DKIM_DOMAIN (by default the domain of MAIL_DEFAULT_SENDER, so DMARC's alignment holds); leave them unset
and mail goes unsigned. The key is read and tried once when the app starts: a missing, unreadable or
malformed key stops ``create_app`` with a message naming the file, instead of failing every send later.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr

import dkim
from flask import Flask, current_app
from flask_mailman import EmailMultiAlternatives

#: The header fields a signature covers. One missing from a message is signed as absent, so nobody on the
#: way can add it (a forged Reply-To, or a List-Unsubscribe on mail that had none) without breaking it.
SIGNED_HEADERS = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "MIME-Version",
    "Content-Type",
)


class DkimSettingsError(RuntimeError):
    """DKIM is asked for but cannot be done with the configured key (raised at start-up)."""


@dataclass(frozen=True)
class DkimKey:
    selector: str
    domain: str
    #: The private key in PEM, as dkimpy reads it.
    pem: bytes

    def sign(self, message: bytes) -> bytes:
        """The message (CRLF line ends, as it goes over SMTP) with its DKIM-Signature header put first."""
        signature = dkim.sign(
            message,
            self.selector.encode("ascii"),
            self.domain.encode("ascii"),
            self.pem,
            include_headers=[name.lower().encode("ascii") for name in SIGNED_HEADERS],
        )
        return signature + message


def load_key(config) -> DkimKey | None:
    """The signing key the configuration names, or None when DKIM is not configured.

    Raises DkimSettingsError when it is half configured or the key cannot sign.
    """
    key_file, selector = config.get("DKIM_KEY_FILE"), config.get("DKIM_SELECTOR")
    if not key_file and not selector:
        return None
    if not key_file or not selector:
        raise DkimSettingsError("DKIM needs both DKIM_KEY_FILE and DKIM_SELECTOR (or neither, to send unsigned)")
    domain = config.get("DKIM_DOMAIN") or parseaddr(config["MAIL_DEFAULT_SENDER"])[1].rpartition("@")[2]
    if not domain:
        raise DkimSettingsError("DKIM_DOMAIN is not set and MAIL_DEFAULT_SENDER has no domain to sign for")
    try:
        with open(key_file, "rb") as handle:
            # dkimpy finds the key between its PEM lines by "\n": a file saved with CRLF line ends must still do.
            pem = handle.read().replace(b"\r\n", b"\n")
    except OSError as error:
        raise DkimSettingsError(f"DKIM_KEY_FILE {key_file!r} cannot be read: {error.strerror or error}") from error
    key = DkimKey(selector=selector, domain=domain.lower(), pem=pem)
    try:  # the same code that signs each message, tried once now
        key.sign(b"From: start-up check <check@" + key.domain.encode("ascii") + b">\r\n\r\nCheck.\r\n")
    except (dkim.DKIMException, UnicodeError, ValueError) as error:
        raise DkimSettingsError(
            f"DKIM_KEY_FILE {key_file!r} is not an unencrypted RSA private key in PEM (PKCS#1 or PKCS#8), "
            f"or the selector or domain is not ASCII: {error}"
        ) from error
    return key


def init_app(app: Flask) -> None:
    """Read and try the DKIM key at start-up (see the module's docstring)."""
    app.extensions["dkim"] = load_key(app.config)


def current_key() -> DkimKey | None:
    return current_app.extensions.get("dkim")


class SignedEmail(EmailMultiAlternatives):
    """An email whose bytes on the wire carry a DKIM signature over exactly those bytes."""

    def __init__(self, *args, dkim_key: DkimKey, **kwargs):
        super().__init__(*args, **kwargs)
        self.dkim_key = dkim_key

    def message(self):
        return _SignedMessage(super().message(), self.dkim_key)


class _SignedMessage:
    """Flask-Mailman's SMTP backend sends ``message().as_bytes(linesep="\\r\\n")``: this signs that result."""

    def __init__(self, message, key: DkimKey):
        self._message, self._key = message, key

    def as_bytes(self, *args, **kwargs) -> bytes:
        return self._key.sign(self._message.as_bytes(*args, **kwargs))

    def __getattr__(self, name):
        return getattr(self._message, name)
