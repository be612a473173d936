"""The home page, the privacy notice, and the organisers' views of the mail outbox and the audit log."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from core import audit
from core import mail as outbox
from core.mail import bounces
from core.models import AuditEntry, MailSuppression, OutboxMessage, utcnow
from core.permissions import is_organiser, organiser_required
from core.registry import home_sections
from core.request_args import paginate
from core.urls import external_url
from extensions import db


def home():
    """Landing page: what is coming up, and for a signed-in person what concerns them."""
    sections = []
    for section in home_sections:  # the areas' sections (core.registry); one that returns None is left out
        context = section.build(current_user)
        if context is not None:
            sections.append((section.template, context))
    return render_template("core/home.html", sections=sections)


def outbox_section(user) -> dict | None:
    """For organisers: how many emails failed to send (the outbox page retries them)."""
    if not is_organiser(user):
        return None
    failed = db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.status.in_(NOT_DELIVERED))) or 0
    return {"failed": failed}


def privacy():
    """What the app keeps about people, why, and for how long (the retention periods are configured)."""
    return render_template("core/privacy.html", title="Privacy notice")


#: Messages the sender gave up on or the receiving server refused: an organiser may queue them again.
NOT_DELIVERED = ("failed", "bounced")


@organiser_required
def outbox_page():
    """Failed and bounced, queued, skipped and recently sent emails, and the addresses known to bounce:
    a button retries a failed email, another clears an address once its mailbox works again."""
    failed = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status.in_(NOT_DELIVERED)).order_by(OutboxMessage.id.desc())
    ).all()
    queued = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == "queued").order_by(OutboxMessage.id)
    ).all()
    sent = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == "sent").order_by(OutboxMessage.id.desc()).limit(50)
    ).all()
    skipped = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == "skipped").order_by(OutboxMessage.id.desc()).limit(50)
    ).all()
    undeliverable = db.session.scalars(select(MailSuppression).order_by(MailSuppression.since.desc())).all()
    return render_template(
        "core/outbox.html",
        failed=failed,
        queued=queued,
        sent=sent,
        skipped=skipped,
        undeliverable=undeliverable,
        title="Outbox",
    )


@organiser_required
def retry(message_id: int):
    """Queue a failed message again; the sender picks it up on its next run."""
    message = db.get_or_404(OutboxMessage, message_id)
    if message.status not in NOT_DELIVERED:
        flash("Only failed messages can be retried.", "error")
    elif message.purged_at is not None:
        flash("This message's text has been removed after the retention period, so it cannot be sent.", "error")
    else:
        outbox.retry_message(message)
        audit.record(current_user, "outbox.retried", f"{message.subject} → {message.to_address}", f"email {message.id}")
        db.session.commit()
        flash(f"The message to {message.to_address} is queued again.", "success")
    return redirect(url_for("core.outbox"))


@organiser_required
def clear_undeliverable(suppression_id: int):
    """The person has fixed their mailbox: send optional mail to the address again."""
    suppression = db.get_or_404(MailSuppression, suppression_id)
    bounces.clear_undeliverable(suppression)
    audit.record(current_user, "outbox.address_cleared", f"{suppression.address} ({suppression.reason})"[:500])
    db.session.commit()
    flash(f"{suppression.address} is no longer marked undeliverable.", "success")
    return redirect(url_for("core.outbox"))


#: Entries a page of the audit log shows.
AUDIT_PAGE_SIZE = 50


@organiser_required
def audit_log():
    """Who did what, when: destructive and privacy-relevant actions, newest first, filterable by action."""
    action = request.args.get("action", "")
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if action in audit.actions():
        query = query.where(AuditEntry.action == action)
    else:
        action = ""
    page = paginate(query, AUDIT_PAGE_SIZE)
    return render_template(
        "core/audit.html", page=page, action=action, actions=audit.actions(), label=audit.label, title="Audit log"
    )


def security_txt():
    """``/.well-known/security.txt`` (RFC 9116): where to report a vulnerability, from the configuration.

    Without ``SECURITY_CONTACT`` there is no file (404): a placeholder address would send reports nowhere.
    """
    contacts = security_contacts(current_app.config.get("SECURITY_CONTACT"))
    if not contacts:
        abort(404)
    config = current_app.config
    expires = config.get("SECURITY_TXT_EXPIRES") or _security_txt_expiry()
    lines = [f"Contact: {contact}" for contact in contacts]
    lines.append(f"Expires: {expires}")
    if config.get("SECURITY_POLICY_URL"):
        lines.append(f"Policy: {config['SECURITY_POLICY_URL']}")
    if config.get("SECURITY_TXT_LANGUAGES"):
        lines.append(f"Preferred-Languages: {config['SECURITY_TXT_LANGUAGES']}")
    lines.append(f"Canonical: {external_url('core.security_txt')}")
    response = Response("\n".join(lines) + "\n", mimetype="text/plain")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def security_contacts(setting: str | None) -> list[str]:
    """SECURITY_CONTACT: addresses or URLs separated by commas or spaces; a bare address becomes a mailto: URI."""
    contacts = []
    for value in (setting or "").replace(",", " ").split():
        if "://" not in value and not value.startswith(("mailto:", "tel:")):
            value = "mailto:" + value
        contacts.append(value)
    return contacts


def _security_txt_expiry() -> str:
    """Midnight UTC a year after today began: less than a year ahead, as RFC 9116 recommends, and the same all
    day. A running deployment keeps moving it on; a copy of the file left behind goes stale within the year."""
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    return (today + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
