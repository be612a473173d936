"""The home page and the organisers' view of the mail outbox."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from core import mail as outbox
from core.models import OutboxMessage
from core.permissions import organiser_required
from extensions import db

bp = Blueprint("core", __name__)

#: (partial template, callable(user) -> dict | None) pairs that each area adds to the home page.
#: A section whose callable returns None is left out.
HOME_SECTIONS: list[tuple[str, Callable]] = []


def _events_home_section(user) -> dict | None:
    from events.views import home_section  # imported late: events build on core, not the other way round

    return home_section(user)


HOME_SECTIONS.append(("events/_home.html", _events_home_section))


@bp.get("/")
def home():
    """Landing page: what is coming up, and for a signed-in person what concerns them."""
    sections = []
    for template, build in HOME_SECTIONS:
        context = build(current_user)
        if context is not None:
            sections.append((template, context))
    return render_template("core/home.html", sections=sections)


@bp.get("/organiser/outbox", endpoint="outbox")
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


@bp.post("/organiser/outbox/<int:message_id>/retry")
@organiser_required
def retry(message_id: int):
    """Queue a failed message again; the sender picks it up on its next run."""
    message = db.get_or_404(OutboxMessage, message_id)
    if message.status != "failed":
        flash("Only failed messages can be retried.", "error")
    else:
        outbox.retry_message(message)
        db.session.commit()
        flash(f"The message to {message.to_address} is queued again.", "success")
    return redirect(url_for("core.outbox"))
