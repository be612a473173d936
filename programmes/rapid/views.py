"""The panel member's private page: no account, reached by the link in their email. It shows the question,
who asks and by when, and takes (and keeps editable) their written answer; after the deadline an answer is
still recorded, marked late."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from core import private_links
from core.errors import ServiceError
from core.models import utcnow
from extensions import db
from programmes.forms import PanelAnswerForm
from programmes.rapid import notifications, services


def _opened(token: str | None, member_id: int | None):
    """The member, after swapping the emailed link's token for the session and a clean address."""
    if token is None:
        token = private_links.held("panel", member_id)
    member = services.find_member(token or "")
    if member is None or (member_id is not None and member.id != member_id):
        abort(404, "This link has not been opened in this browser, or is no longer valid: open the link in your email.")
    if request.method == "GET" and member_id is None:
        clean = url_for("programmes.panel_answer", member_id=member.id)
        return member, private_links.swap("panel", token, clean, key=member.id)
    return member, None


def panel_answer(token: str | None = None, member_id: int | None = None):
    """Show the question; on POST record the answer (late after the deadline)."""
    member, swapped = _opened(token, member_id)
    if swapped is not None:
        return swapped
    form = PanelAnswerForm()
    if request.method == "GET":
        services.mark_opened(member)
        db.session.commit()
        form.answer.data = member.answer
    elif form.validate_on_submit():
        try:
            first = services.answer(member, form.answer.data, utcnow())
        except ServiceError as error:
            db.session.rollback()
            form.answer.errors.append(str(error))
        else:
            if first:
                notifications.answer_alert(member)
            db.session.commit()
            flash(
                "Thank you: your answer has reached the organisers."
                + (" It came after the deadline, so it is marked late." if member.late else ""),
                "success",
            )
            return private_links.private(redirect(url_for("programmes.panel_answer", member_id=member.id)))
    page = render_template(
        "programmes/panel_answer.html",
        member=member,
        rapid=member.question,
        form=form,
        past_deadline=member.question.is_past_deadline(utcnow()),
        title="A rapid-response question",
    )
    return private_links.private((page, 400 if request.method == "POST" else 200))
