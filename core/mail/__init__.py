"""The mail outbox: every email is queued in the caller's transaction and delivered afterwards.

A booking and its confirmation are committed together or not at all, and a mail server that is
down loses nothing: ``deliver_due`` retries with growing delays and gives up after a limit.
Development uses the "log" transport, which prints each message and appends it to
``instance/mail.log``; production uses SMTP through Flask-Mailman (both in ``core.mail.transport``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from flask import Flask, current_app, g, has_app_context, has_request_context, render_template
from flask_login import current_user
from markupsafe import escape
from sqlalchemy import event, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.caching import announce_change
from core.mail import bounces, signing, transport
from core.mail.transport import mail_log_path, message_headers  # noqa: F401 - part of the outbox's interface
from core.models import OutboxMessage, utcnow
from core.permissions import is_organiser
from core.sealing import open_seal, seal
from core.search import contains_text
from extensions import db

log = logging.getLogger(__name__)


def queue_once(keyed: dict[str, Callable[[str], object]]) -> int:
    """Queue each message whose dedupe key is not in the outbox yet; returns how many were queued.

    ``keyed`` maps a dedupe key to a function queueing the message under that key (``queue_email(…,
    dedupe_key=key)``). A savepoint per message: if another request or run queued the same message a
    moment ago, the unique key refuses this copy and the rest still go.
    """
    if not keyed:
        return 0
    already = set(db.session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keyed))))
    queued = 0
    for key, queue in keyed.items():
        if key in already:
            continue
        try:
            with db.session.begin_nested():
                queue(key)
        except IntegrityError:
            continue
        queued += 1
    return queued


def queue_email(
    to: str,
    subject: str,
    template: str,
    *,
    kind: str,
    user_id: int | None = None,
    dedupe_key: str | None = None,
    attachment: tuple[str, str, bytes] | None = None,
    secrets: dict[str, str] | None = None,
    reply_to: str | None = None,
    **context,
) -> OutboxMessage:
    """Add a message to the outbox in the current transaction (the caller commits).

    ``template`` names ``templates/emails/<template>.txt`` and ``.html``; both get ``context``.
    ``secrets`` are context values that must not be stored in the clear (a single-use link): the
    templates see a placeholder, the values are sealed (core.sealing) and put back only to send. A secret
    named ``unsubscribe_link`` also becomes the message's one-click List-Unsubscribe (RFC 8058).

    Mail is sent from the deployment's own address (MAIL_DEFAULT_SENDER), so SPF and DMARC hold; replies go
    to ``reply_to``: by default the organiser whose action queued the message, else the office (MAIL_REPLY_TO).
    """
    # A subject is a mail header: a line break in it (an event title imported from a calendar file, say)
    # would start a header of its own, so all whitespace becomes single spaces.
    subject = " ".join(subject.split())
    context.setdefault("base_url", current_app.config["BASE_URL"].rstrip("/"))
    context.setdefault("app_name", current_app.config["APP_NAME"])
    secrets = secrets or {}
    context.update({name: _placeholder(name) for name in secrets})
    message = OutboxMessage(
        to_address=to,
        subject=subject,
        text_body=render_template(f"emails/{template}.txt", **context),
        html_body=render_template(f"emails/{template}.html", **context),
        kind=kind,
        user_id=user_id,
        dedupe_key=dedupe_key,
        reply_to=reply_to or _acting_organiser_address(),
        status="queued",
        attempts=0,
        next_attempt_at=utcnow(),
    )
    if secrets:
        message.sealed_values = seal(secrets)
    if attachment:
        message.attachment_name, message.attachment_type, message.attachment_data = attachment
    db.session.add(message)
    db.session.info["outbox_pending"] = True
    return message


def _acting_organiser_address() -> str | None:
    """The address of the organiser whose request is queuing mail (their attendees reply to them)."""
    if has_request_context() and is_organiser(current_user):
        return current_user.email
    return None


def _placeholder(name: str) -> str:
    return f"[[sealed:{name}]]"


#: What a sealed link becomes in the stored copy once the message has gone.
REMOVED_AFTER_SENDING = "(link removed from our copy after sending)"


def opened_bodies(message: OutboxMessage) -> tuple[str, str | None]:
    """The text and HTML bodies as they are sent: sealed values put back (escaped in the HTML)."""
    text, html = message.text_body, message.html_body
    if message.sealed_values:
        for name, value in open_seal(message.sealed_values).items():
            text = text.replace(_placeholder(name), value)
            if html is not None:
                html = html.replace(_placeholder(name), str(escape(value)))
    return text, html


def _forget_secrets(message: OutboxMessage) -> None:
    """After sending, the stored copy keeps no link: placeholders say the link was removed."""
    if not message.sealed_values:
        return
    for name in open_seal(message.sealed_values):
        message.text_body = message.text_body.replace(_placeholder(name), REMOVED_AFTER_SENDING)
        if message.html_body is not None:
            message.html_body = message.html_body.replace(_placeholder(name), REMOVED_AFTER_SENDING)
    message.sealed_values = None


def retry_delay(attempts: int) -> timedelta:
    """Wait 1, 2, 4, 8 … minutes (at most a day) between attempts."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 24 * 60))


#: A message being sent is held this long: a sender that dies mid-send releases it when the lease ends.
SEND_LEASE = timedelta(minutes=5)


def deliver_due(limit: int = 100, now: datetime | None = None) -> tuple[int, int]:
    """Try every queued message whose time has come; returns (sent, failed attempts).

    Each message is first claimed in its own committed UPDATE, so two senders running at once (the
    worker and a request's send-on-commit, say) never deliver the same message; then it is sent and
    the outcome committed on its own, so that one bad address cannot hold back the rest. A failure
    waits ``retry_delay`` before the next attempt and the message is marked failed after
    MAIL_MAX_ATTEMPTS; one the receiving server refuses for good is bounced at once, and optional mail to
    an address known to bounce is skipped (core.mail.bounces). ``now`` lets tests stand at a later time.
    """
    now = now or utcnow()
    ids = db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    sent = failed = 0
    for message_id in ids:
        if not _claim(message_id, now):
            continue  # another sender took it (or it is no longer due)
        message = db.session.get(OutboxMessage, message_id)
        try:
            if skip_reason := bounces.reason_not_to_send(message):  # optional mail to an address that bounced
                message.status, message.last_error = "skipped", skip_reason
            else:
                transport.send(message, *opened_bodies(message))
        except Exception as error:  # any transport error: keep the message and try later, unless refused for good
            failed += 1
            message.attempts += 1
            message.last_error = f"{type(error).__name__}: {error}"[:2000]
            if refusal := bounces.permanent_refusal(error):
                message.status, message.last_error = "bounced", refusal.reply
                announce_change()  # organisers' homes count the emails not delivered
                if refusal.address_is_undeliverable:
                    bounces.record_undeliverable(message.to_address, refusal.reply, "smtp")
            elif message.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
                message.status = "failed"
                announce_change()
            message.next_attempt_at = now + retry_delay(message.attempts)
            log.warning("mail to %s failed (attempt %s): %s", message.to_address, message.attempts, error)
        else:
            if skip_reason:
                _forget_secrets(message)
                db.session.commit()
                continue
            sent += 1
            message.attempts += 1
            message.status = "sent"
            message.sent_at = utcnow()
            message.last_error = None
            _forget_secrets(message)
        db.session.commit()
    return sent, failed


def _claim(message_id: int, now: datetime) -> bool:
    """Take a due message for this sender by moving its next attempt past the lease (compare-and-set)."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == "queued",
            OutboxMessage.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + SEND_LEASE)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


#: What a message's stored text becomes once the retention period has passed.
PURGED_TEXT = "(The text of this email was removed from our records after the retention period.)"


def purge_old_bodies(now: datetime) -> dict[str, int]:
    """Remove the text and attachment of emails sent (or given up on) RETENTION_EMAIL_DAYS ago.

    Bodies repeat what bookings held (dietary answers) and names; the row stays, so the outbox
    still shows who was sent what kind of email and when. Running it again changes nothing.
    """
    cutoff = now - timedelta(days=current_app.config["RETENTION_EMAIL_DAYS"])
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status.in_(("sent", "failed", "bounced", "skipped")),
            OutboxMessage.purged_at.is_(None),
            func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at) < cutoff,
        )
        .values(
            text_body=PURGED_TEXT,
            html_body=None,
            attachment_data=None,
            sealed_values=None,
            purged_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return {"email texts": result.rowcount}


#: What stays of a sent email about someone who has since deleted their account.
ERASED_SUBJECT = "(An email about someone who has since deleted their account)"
ERASED_TEXT = "(The text of this email was erased when the person it was about deleted their account.)"


def erase_mentions(needles: Iterable[str]) -> int:
    """Account deletion: every email whose subject or text holds one of ``needles`` (a name, an address,
    a policy question) — to anyone, e.g. an expert invited to meet the person. One still waiting is not
    sent at all; of one sent, the row stays (who was sent what kind of email, and when) without its words.
    Returns how many were erased."""
    words = sorted({needle.strip() for needle in needles if needle and len(needle.strip()) >= 3})
    if not words:
        return 0
    columns = (OutboxMessage.subject, OutboxMessage.text_body, OutboxMessage.html_body)
    mentioning = or_(*(contains_text(column, word) for word in words for column in columns))
    erased = 0
    for message in db.session.scalars(select(OutboxMessage).where(mentioning)):
        if message.status == "sent":
            message.subject, message.text_body, message.html_body = ERASED_SUBJECT, ERASED_TEXT, None
            message.attachment_name = message.attachment_type = message.attachment_data = None
            message.sealed_values = None
            message.purged_at = message.purged_at or utcnow()
        else:
            if message.status in ("failed", "bounced"):
                announce_change()
            db.session.delete(message)
        erased += 1
    bounces.forget_addresses([word for word in words if "@" in word])  # nor is it kept that their address bounced
    db.session.flush()
    return erased


def retry_message(message: OutboxMessage) -> None:
    """Put a message that was not delivered (failed, bounced, skipped) back in the queue (an organiser asked)."""
    if message.status in ("failed", "bounced"):
        announce_change()  # organisers' homes count the emails not delivered
    message.status = "queued"
    message.attempts = 0
    message.next_attempt_at = utcnow()


def init_app(app: Flask) -> None:
    signing.init_app(app)  # a DKIM key that cannot sign stops the app here, not at the first send

    @app.after_request
    def send_queued_mail(response):
        """Development convenience: deliver what the request queued, once the view has committed it.

        Whatever the view left uncommitted is rolled back first (as the request teardown would do),
        so that the sender's own commits can never save half of a failed change.
        """
        if app.config["MAIL_SEND_ON_COMMIT"] and g.pop("outbox_committed", False):
            db.session.rollback()
            try:
                deliver_due()
            except Exception:  # delivery must never break the page; the worker retries
                log.exception("delivering queued mail failed")
                db.session.rollback()
        return response


@event.listens_for(Session, "after_commit")
def _note_committed_mail(session) -> None:
    if session.info.pop("outbox_pending", False) and has_app_context():
        g.outbox_committed = True


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_mail(session) -> None:
    session.info.pop("outbox_pending", None)
