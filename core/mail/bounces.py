"""Hard bounces: addresses mail cannot reach, so that optional mail stops going to them.

An address is recorded as undeliverable (MailSuppression) when the receiving server refuses it for good
while the outbox sends (an SMTP 5xx reply to RCPT, or to DATA for a reason that is the mailbox's), or when a
bounce report (a delivery status notification, RFC 3464) says delivery failed permanently: ``flask mail
bounces PATH`` reads them from the mailbox the envelope sender (MAIL_RETURN_PATH) points at. Optional mail —
a message carrying an unsubscribe link — is then not sent to it (marked skipped); mail a person needs
(a password reset, a booking confirmation) still goes. A temporary failure (4xx, no connection) is not a
bounce: the outbox tries again later. Our own configuration's failures (authentication, a refused sender)
are not the recipient's fault either and are retried, so that fixing them loses nothing.
"""

from __future__ import annotations

import os
import re
import smtplib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import Message
from email.parser import HeaderParser

from sqlalchemy import delete, select

from core.models import MailSuppression, OutboxMessage, utcnow
from core.sealing import open_seal
from core.upsert import insert_missing
from extensions import db

#: Enhanced status classes (RFC 3463) of a refused DATA that say nothing about the mailbox: 5.6 content,
#: 5.7 policy (a spam filter, DMARC). The message has failed for good, but the address may be fine.
NOT_THE_MAILBOX = ("5.6.", "5.7.")
_ENHANCED_STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")


def normalised(address: str) -> str:
    return address.strip().strip("<>").strip().lower()


@dataclass(frozen=True)
class Refusal:
    """A receiving server's permanent answer to one message."""

    #: What it said, e.g. "550 5.1.1 <ada@example.org>: user unknown".
    reply: str
    #: Whether the answer is about the address (record it as undeliverable) or only about this message.
    address_is_undeliverable: bool


def permanent_refusal(error: Exception) -> Refusal | None:
    """The permanent refusal ``error`` reports, or None when trying again later may work (4xx, no
    connection, or a failure of our own configuration such as a wrong password or a refused sender)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = list(error.recipients.values())
        if replies and all(code >= 500 for code, _ in replies):
            return Refusal(_reply(*replies[0]), address_is_undeliverable=True)
        return None
    if isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500:
        reply = _reply(error.smtp_code, error.smtp_error)
        status = _ENHANCED_STATUS.search(reply)
        return Refusal(reply, address_is_undeliverable=not (status and status[1].startswith(NOT_THE_MAILBOX)))
    return None


def _reply(code: int, text: bytes | str) -> str:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(text.split())}"[:2000]


def record_undeliverable(address: str, reason: str, source: str, at: datetime | None = None) -> bool:
    """Record ``address`` as undeliverable; True if it was not yet. Safe against two recorders at once
    (the first record stays: ``since`` says when it first bounced). Flushes; the caller commits."""
    row = {"address": normalised(address), "reason": reason[:2000], "source": source, "since": at or utcnow()}
    return insert_missing(MailSuppression, [row]) == 1


def undeliverable(address: str) -> MailSuppression | None:
    return db.session.scalar(select(MailSuppression).where(MailSuppression.address == normalised(address)))


def clear_undeliverable(suppression: MailSuppression) -> None:
    """The person fixed their mailbox: optional mail goes to it again (an organiser's decision)."""
    db.session.delete(suppression)
    db.session.flush()


def forget_addresses(addresses: list[str]) -> int:
    """Account deletion: the record that a deleted person's address bounced goes too."""
    result = db.session.execute(
        delete(MailSuppression)
        .where(MailSuppression.address.in_([normalised(address) for address in addresses]))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def is_optional(message: OutboxMessage) -> bool:
    """Optional mail is mail the person may unsubscribe from: queue_email gave it an ``unsubscribe_link``."""
    return bool(message.sealed_values) and "unsubscribe_link" in open_seal(message.sealed_values)


def reason_not_to_send(message: OutboxMessage) -> str | None:
    """Why ``message`` must not go (optional mail to an undeliverable address), or None to send it."""
    if not is_optional(message):
        return None
    suppression = undeliverable(message.to_address)
    if suppression is None:
        return None
    return f"Not sent: the address is undeliverable since {suppression.since:%d %b %Y} ({suppression.reason})"[:2000]


# Bounce reports (RFC 3464) ---------------------------------------------------------------------------------

#: The parts of a report that hold the per-recipient fields (RFC 3464; RFC 6533 for internationalised mail).
_STATUS_PARTS = ("message/delivery-status", "message/global-delivery-status")


def hard_bounces(report: Message) -> list[tuple[str, str]]:
    """The (address, reason) of each recipient a delivery status notification says failed permanently
    (``Action: failed`` with a ``Status: 5.x.x``). Anything else — a delay, an auto-reply, a report of
    success, a message that is not a report — gives nothing."""
    if report.get_content_type() != "multipart/report":
        return []
    if (report.get_param("report-type") or "").lower() != "delivery-status":
        return []
    bounced = []
    for part in report.walk():
        if part.get_content_type() not in _STATUS_PARTS:
            continue
        for fields in _field_blocks(part):
            action = (fields.get("Action") or "").strip().lower()
            status = (fields.get("Status") or "").strip()
            if action != "failed" or not status.startswith("5."):
                continue
            address = _recipient(fields.get("Final-Recipient") or fields.get("Original-Recipient") or "")
            if address:
                diagnostic = " ".join(str(fields.get("Diagnostic-Code") or "").split())
                diagnostic = diagnostic.partition(";")[2].strip() if ";" in diagnostic else diagnostic
                bounced.append((address, diagnostic if status in diagnostic else f"{status} {diagnostic}".strip()))
    return bounced


def _field_blocks(part: Message) -> list[Message]:
    """The groups of fields of a status part: the message's, then one per recipient. The email package splits
    message/delivery-status into them itself; of another type it takes the first group for the headers of
    an enclosed message and leaves the rest as its text, which is split here."""
    payload = part.get_payload()
    if not isinstance(payload, list):
        return _split(part.get_payload(decode=True) or b"")
    blocks = []
    for block in payload:
        blocks.append(block)
        rest = None if block.is_multipart() else block.get_payload(decode=True)
        if rest:
            blocks += _split(rest)
    return blocks


def _split(text: bytes) -> list[Message]:
    groups = re.split(r"\r?\n[ \t]*\r?\n", text.decode("utf-8", "replace"))
    return [HeaderParser(policy=policy.compat32).parsestr(group.strip() + "\n") for group in groups if group.strip()]


def _recipient(field: str) -> str | None:
    """``rfc822; ada@example.org`` → the address (an address of another type is no mailbox of ours)."""
    kind, _, address = str(field).partition(";")
    if kind.strip().lower() not in ("rfc822", "utf-8"):
        return None
    address = normalised(" ".join(address.split()))
    return address if "@" in address else None


@dataclass
class ReportFile:
    path: str
    report: Message | None
    #: Whether it waits in a maildir's new/ and is to be filed as seen once read.
    unseen: bool = False


def report_files(path: str, *, seen_too: bool = False) -> Iterator[ReportFile]:
    """The messages at ``path``: a maildir (new/, and cur/ with ``seen_too``) or a folder of ``.eml`` files."""
    is_maildir = all(os.path.isdir(os.path.join(path, sub)) for sub in ("new", "cur", "tmp"))
    if is_maildir:
        folders = [("new", True)] + ([("cur", False)] if seen_too else [])
        names = [(os.path.join(path, sub, name), unseen) for sub, unseen in folders for name in _names(path, sub)]
    elif os.path.isdir(path):
        names = [(os.path.join(path, name), False) for name in sorted(os.listdir(path)) if name.endswith(".eml")]
    else:
        raise FileNotFoundError(f"{path} is neither a maildir nor a folder")
    for name, unseen in names:
        with open(name, "rb") as handle:
            data = handle.read()
        try:
            report = message_from_bytes(data, policy=policy.default)
        except Exception:  # a broken message is skipped, not the whole run
            report = None
        yield ReportFile(name, report, unseen)


def _names(maildir: str, sub: str) -> list[str]:
    folder = os.path.join(maildir, sub)
    return sorted(
        name for name in os.listdir(folder) if not name.startswith(".") and os.path.isfile(os.path.join(folder, name))
    )


def file_as_seen(report: ReportFile) -> None:
    """Move a maildir message from new/ to cur/ with the Seen flag (the maildir convention)."""
    folder, name = os.path.split(report.path)
    info = "" if ":" in name else ":2,S"
    os.rename(report.path, os.path.join(os.path.dirname(folder), "cur", name + info))
