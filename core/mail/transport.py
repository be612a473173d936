"""How a message leaves the outbox: the "log" transport (development) or SMTP through Flask-Mailman.

``send`` is given the bodies as they are sent (sealed links put back by the outbox); it raises whatever the
mail server answered, and the outbox decides whether to try again (core.mail.deliver_due).
"""

from __future__ import annotations

import os
from email import encoders
from email.mime.base import MIMEBase
from email.mime.text import MIMEText
from email.utils import formatdate
from urllib.parse import urlsplit

from flask import current_app
from flask_mailman import EmailMultiAlternatives

from core.mail import signing
from core.models import OutboxMessage
from core.sealing import open_seal
from extensions import mail


def send(message: OutboxMessage, text_body: str, html_body: str | None) -> None:
    """Deliver one message by the configured MAIL_TRANSPORT; raises if it could not be handed over."""
    transport = current_app.config["MAIL_TRANSPORT"]
    if transport == "log":
        _write_to_log(message, text_body)
        return
    if transport != "smtp":
        raise RuntimeError(f"unknown MAIL_TRANSPORT {transport!r}")
    config = current_app.config
    # The connection is made from the configuration as it is now, and always over SMTP: Flask-Mailman
    # would otherwise use the settings it saw at start-up, and an in-memory backend under TESTING.
    connection = mail.get_connection(
        backend="smtp",
        host=config["MAIL_SERVER"],
        port=config["MAIL_PORT"],
        username=config["MAIL_USERNAME"],
        password=config["MAIL_PASSWORD"],
        use_tls=config["MAIL_USE_TLS"],
        use_ssl=config["MAIL_USE_SSL"],
        timeout=config["MAIL_TIMEOUT"],
    )
    reply_to = message.reply_to or config.get("MAIL_REPLY_TO")
    dkim_key = signing.current_key()
    email = (signing.SignedEmail if dkim_key else EmailMultiAlternatives)(
        subject=message.subject,
        body=text_body,
        # The envelope sender (Return-Path) is where receiving servers send bounces: MAIL_RETURN_PATH, if set,
        # names a mailbox that `flask mail bounces` reads; the From header stays MAIL_DEFAULT_SENDER.
        from_email=config.get("MAIL_RETURN_PATH") or config["MAIL_DEFAULT_SENDER"],
        to=[message.to_address],
        reply_to=[reply_to] if reply_to else None,
        connection=connection,
        headers={"From": config["MAIL_DEFAULT_SENDER"], **message_headers(message)},
        **({"dkim_key": dkim_key} if dkim_key else {}),
    )
    if html_body:
        email.attach_alternative(html_body, "text/html")
    if message.attachment_data is not None:
        email.attach(_attachment_part(message))
    # Opened here so that it is closed whatever the server answers: Flask-Mailman closes a connection it
    # opened itself only after a send that worked, and a refused recipient would leave the socket open.
    with connection:
        email.send(fail_silently=False)


def message_headers(message: OutboxMessage) -> dict[str, str]:
    """The headers every message carries: a Message-ID that stays the same when a send is retried (so a
    message delivered twice shows once), the Date it is sent, Auto-Submitted (RFC 3834: no auto-replies),
    and, for optional mail, RFC 8058's one-click unsubscribe."""
    domain = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    headers = {
        "Message-ID": f"<outbox.{message.id}.{int(message.created_at.timestamp())}@{domain}>",
        "Date": formatdate(usegmt=True),
        "Auto-Submitted": "auto-generated",
    }
    unsubscribe = open_seal(message.sealed_values).get("unsubscribe_link") if message.sealed_values else None
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


def _attachment_part(message: OutboxMessage) -> MIMEBase:
    """The attachment as a MIME part whose Content-Type keeps its parameters (``method=REQUEST``)."""
    mimetype = message.attachment_type or "application/octet-stream"
    main, _, rest = mimetype.partition("/")
    subtype, *parameters = [part.strip() for part in rest.split(";")]
    if main == "text":
        part: MIMEBase = MIMEText(bytes(message.attachment_data).decode("utf-8"), subtype, "utf-8")
    else:
        part = MIMEBase(main, subtype)
        part.set_payload(bytes(message.attachment_data))
        encoders.encode_base64(part)
    for parameter in parameters:
        key, _, value = parameter.partition("=")
        if key.strip().lower() != "charset":
            part.set_param(key.strip(), value.strip().strip('"'))
    part.add_header("Content-Disposition", "attachment", filename=message.attachment_name or "attachment")
    return part


def mail_log_path() -> str:
    return os.path.join(current_app.instance_path, "mail.log")


def _write_to_log(message: OutboxMessage, text_body: str) -> None:
    text = (
        f"From: {current_app.config['MAIL_DEFAULT_SENDER']}\nTo: {message.to_address}\n"
        + (f"Reply-To: {message.reply_to}\n" if message.reply_to else "")
        + f"Subject: {message.subject}\n"
        + (f"Attachment: {message.attachment_name}\n" if message.attachment_name else "")
        + f"\n{text_body}\n"
        + "-" * 72
        + "\n"
    )
    print(text, flush=True)
    with open(mail_log_path(), "a", encoding="utf-8") as handle:
        handle.write(text)
