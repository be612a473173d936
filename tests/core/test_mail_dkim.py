"""DKIM: with a key and selector configured, what a real SMTP server (aiosmtpd) receives carries a signature
that dkimpy verifies against the public key as it would be published in DNS, and that breaks when the body or
a signed header is changed on the way. Without them mail goes unsigned; a key that cannot sign stops the app
at start-up."""

from __future__ import annotations

import base64
import re

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app import create_app
from core import mail as outbox_mail
from core.mail import signing
from extensions import db
from tests.core.test_outbox import smtp  # noqa: F401 - the real SMTP server fixture

SELECTOR = "fellowship2026"
DOMAIN = "policy.example.org"


@pytest.fixture(scope="module")
def rsa_key():
    """A fresh 2048-bit RSA key: (private key in PEM, the DNS TXT record publishing its public half)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem, f"v=DKIM1; k=rsa; p={base64.b64encode(public).decode()}"


@pytest.fixture
def key_file(tmp_path, rsa_key):
    path = tmp_path / "dkim.pem"
    path.write_bytes(rsa_key[0])
    path.chmod(0o600)
    return path


def _dns(txt_record: str):
    """A resolver that knows one name: the selector's record under _domainkey of the signing domain."""

    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        if name == f"{SELECTOR}._domainkey.{DOMAIN}.".encode():
            return txt_record.encode()
        return None

    return lookup


def _send_password_reset(app, client, make_fellow):
    fellow = make_fellow()
    client.post("/password/forgot", data={"email": fellow.email})
    with app.app_context():
        assert outbox_mail.deliver_due() == (1, 0)
    return fellow


def test_every_message_is_signed_and_the_signature_verifies(app, client, smtp, key_file, rsa_key, make_fellow):  # noqa: F811
    app.config.update(
        MAIL_DEFAULT_SENDER=f"Policy Fellowship <no-reply@{DOMAIN.upper()}>",  # the domain is read from here
        MAIL_REPLY_TO="office@example.org",
        DKIM_KEY_FILE=str(key_file),
        DKIM_SELECTOR=SELECTOR,
    )
    signing.init_app(app)  # as create_app does with these settings
    smtp.start()
    _send_password_reset(app, client, make_fellow)

    [raw] = smtp.raw
    [received] = smtp.messages
    signature = " ".join(received["DKIM-Signature"].split())
    assert f"d={DOMAIN};" in signature and f"s={SELECTOR};" in signature and "a=rsa-sha256;" in signature
    signed = re.search(r"h=([^;]+);", signature)[1].replace(" ", "").split(":")
    assert signed == [name.lower() for name in signing.SIGNED_HEADERS]
    dns = _dns(rsa_key[1])
    assert dkim.verify(raw, dnsfunc=dns) is True

    # Anything changed on the way breaks it: a word of the body, a signed header, a header added later.
    head, _, body = raw.partition(b"\r\n\r\n")
    assert dkim.verify(head + b"\r\n\r\n" + body.replace(b"password", b"passw0rd", 1), dnsfunc=dns) is False
    assert dkim.verify(raw.replace(b"Subject: ", b"Subject: Urgent: ", 1), dnsfunc=dns) is False
    forged = head + b"\r\nList-Unsubscribe: <https://evil.example/>\r\n\r\n" + body
    assert dkim.verify(forged, dnsfunc=dns) is False
    # And a different key under the same name does not vouch for it.
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    other_der = other.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert dkim.verify(raw, dnsfunc=_dns(f"v=DKIM1; k=rsa; p={base64.b64encode(other_der).decode()}")) is False


def test_an_explicit_domain_is_signed_for_and_optional_mail_headers_are_covered(
    app,
    smtp,  # noqa: F811
    key_file,
    rsa_key,
):
    app.config.update(DKIM_KEY_FILE=str(key_file), DKIM_SELECTOR=SELECTOR, DKIM_DOMAIN=DOMAIN)
    signing.init_app(app)
    smtp.start()
    with app.app_context():
        outbox_mail.queue_email(
            "fellow@example.org",
            "New event: Grid futures",
            "password_reset",
            kind="event_announcement",
            secrets={"unsubscribe_link": "http://localhost/unsubscribe/abc"},
            user={"name": "A Fellow", "email": "fellow@example.org"},
            link="http://localhost/x",
            hours=2,
        )
        db.session.commit()
        assert outbox_mail.deliver_due() == (1, 0)
    [raw] = smtp.raw
    assert b"List-Unsubscribe: <http://localhost/unsubscribe/abc>" in raw
    assert dkim.verify(raw, dnsfunc=_dns(rsa_key[1])) is True
    # Removing the unsubscribe header (or changing where it points) breaks the signature.
    assert dkim.verify(raw.replace(b"unsubscribe/abc", b"unsubscribe/xyz", 1), dnsfunc=_dns(rsa_key[1])) is False


def test_without_dkim_settings_mail_goes_unsigned(app, client, smtp, make_fellow):  # noqa: F811
    smtp.start()
    _send_password_reset(app, client, make_fellow)
    [received] = smtp.messages
    assert received["DKIM-Signature"] is None


def _start(tmp_path, **settings):
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}", **settings})


def test_a_key_that_cannot_sign_stops_the_app_at_start_up(tmp_path, key_file):
    assert (
        _start(tmp_path, DKIM_KEY_FILE=str(key_file), DKIM_SELECTOR=SELECTOR).extensions["dkim"].domain == "localhost"
    )

    missing = tmp_path / "nowhere.pem"
    with pytest.raises(signing.DkimSettingsError, match=r"nowhere\.pem.*cannot be read"):
        _start(tmp_path, DKIM_KEY_FILE=str(missing), DKIM_SELECTOR=SELECTOR)

    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")
    with pytest.raises(signing.DkimSettingsError, match=r"garbage\.pem.*not an unencrypted RSA private key"):
        _start(tmp_path, DKIM_KEY_FILE=str(garbage), DKIM_SELECTOR=SELECTOR)

    not_pem = tmp_path / "notes.txt"
    not_pem.write_text("just some text, no PEM at all\n")
    with pytest.raises(signing.DkimSettingsError, match=r"notes\.txt"):
        _start(tmp_path, DKIM_KEY_FILE=str(not_pem), DKIM_SELECTOR=SELECTOR)

    with pytest.raises(signing.DkimSettingsError, match="both DKIM_KEY_FILE and DKIM_SELECTOR"):
        _start(tmp_path, DKIM_KEY_FILE=str(key_file))


def test_a_key_saved_with_windows_line_ends_still_signs(tmp_path, rsa_key):
    path = tmp_path / "crlf.pem"
    path.write_bytes(rsa_key[0].replace(b"\n", b"\r\n"))
    key = signing.load_key(
        {"DKIM_KEY_FILE": str(path), "DKIM_SELECTOR": SELECTOR, "MAIL_DEFAULT_SENDER": f"x@{DOMAIN}"}
    )
    message = key.sign(b"From: x@" + DOMAIN.encode() + b"\r\nTo: y@example.org\r\nSubject: Hi\r\n\r\nHello.\r\n")
    assert dkim.verify(message, dnsfunc=_dns(rsa_key[1])) is True
