"""The home page and the organisers' view of the mail outbox."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from core import mail as outbox
from core.models import OutboxMessage
from core.permissions import organiser_required
from core.registry import home_sections
from extensions import db


def home():
    """Landing page: what is coming up, and for a signed-in person what concerns them."""
    sections = []
    for section in home_sections:  # the areas' sections (core.registry); one that returns None is left out
        context = section.build(current_user)
        if context is not None:
            sections.append((section.template, context))
    return render_template("core/home.html", sections=sections)


def privacy():
    """What the app keeps about people, why, and for how long (the retention periods are configured)."""
    return render_template("core/privacy.html", title="Privacy notice")


@organiser_required
def outbox_page():
    """Queued, failed and recently sent emails, with a button to retry the failed ones."""
    failed = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == "failed").order_by(OutboxMessage.id.desc())
    ).all()
    queued = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == "queued").order_by(OutboxMessage.id)
    ).all()
    sent = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == "sent").order_by(OutboxMessage.id.desc()).limit(50)
    ).all()
    return render_template("core/outbox.html", failed=failed, queued=queued, sent=sent, title="Outbox")


@organiser_required
def retry(message_id: int):
    """Queue a failed message again; the sender picks it up on its next run."""
    message = db.get_or_404(OutboxMessage, message_id)
    if message.status != "failed":
        flash("Only failed messages can be retried.", "error")
    elif message.purged_at is not None:
        flash("This message's text has been removed after the retention period, so it cannot be sent.", "error")
    else:
        outbox.retry_message(message)
        db.session.commit()
        flash(f"The message to {message.to_address} is queued again.", "success")
    return redirect(url_for("core.outbox"))
