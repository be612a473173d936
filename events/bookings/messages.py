"""The organisers' "Message attendees" page: write to an event's confirmed, waitlisted or all bookers,
preview the email as it will be sent, then send it; the messages sent are listed with the event."""

from __future__ import annotations

import secrets

from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.errors import ServiceError
from core.lib.wording import plural
from core.permissions import acting_user, organiser_required
from events import notifications, services
from events.forms import EventMessageForm
from events.models import MESSAGE_AUDIENCES, Event, EventMessage
from events.pages import event_or_404
from events.urls import event_url
from extensions import db


def _sent_messages(event: Event) -> list[EventMessage]:
    return list(
        db.session.scalars(
            select(EventMessage)
            .where(EventMessage.event_id == event.id)
            .options(selectinload(EventMessage.sent_by))
            .order_by(EventMessage.sent_at.desc(), EventMessage.id.desc())
        )
    )


def _counts(event: Event) -> dict[str, int]:
    """How many people each choice of audience reaches, for the form's choices."""
    return {audience: len(notifications.message_recipients(event, audience)) for audience in MESSAGE_AUDIENCES}


def _render(event: Event, form: EventMessageForm, *, preview=None, status: int = 200):
    counts = _counts(event)
    form.audience.choices = [
        (key, f"{label} ({plural(counts[key], 'person', 'people')})") for key, label in MESSAGE_AUDIENCES.items()
    ]
    return render_template(
        "events/messages.html",
        event=event,
        form=form,
        preview=preview,
        messages=_sent_messages(event),
        title=f"Message attendees: {event.title}",
    ), status


def _preview(event: Event, form: EventMessageForm) -> dict:
    """The email as the first recipient will get it (or as anyone would), and how many will get it."""
    recipients = notifications.message_recipients(event, form.audience.data)
    draft = EventMessage(subject=" ".join(form.subject.data.split()), body=form.body.data)
    sample = recipients[0] if recipients else None
    text = render_template(
        "emails/event_message.txt",
        user=sample.user if sample else acting_user(),
        booking=sample,
        event=event,
        message=draft,
        sender=acting_user(),
        event_link=event_url(event),
        show_online_link=bool(sample and sample.state == "confirmed" and event.state == "published"),
        base_url=current_app.config["BASE_URL"].rstrip("/"),
        app_name=current_app.config["APP_NAME"],
    )
    return {"subject": draft.subject, "text": text, "count": len(recipients), "first": sample}


@organiser_required
def messages(event_id: int):
    """Write a message to the event's bookers (GET), or preview it (POST) before sending."""
    event = event_or_404(event_id)
    form = EventMessageForm()
    if request.method == "GET":
        return _render(event, EventMessageForm(formdata=None))
    form.audience.choices = dict(MESSAGE_AUDIENCES)
    if not form.validate_on_submit():
        return _render(event, form, status=400)
    form.send_token.data = secrets.token_urlsafe(24)
    return _render(event, form, preview=_preview(event, form))


@organiser_required
def send_message(event_id: int):
    """Send a previewed message: one email to each recipient, recorded on the event; a repeat sends nothing."""
    event = event_or_404(event_id)
    form = EventMessageForm()
    form.audience.choices = dict(MESSAGE_AUDIENCES)
    if not form.validate_on_submit() or not form.send_token.data:
        if not form.errors:
            form.form_errors.append("Preview the message before sending it.")
        return _render(event, form, status=400)
    try:
        message = services.send_event_message(
            acting_user(),
            event,
            audience=form.audience.data,
            subject=form.subject.data,
            body=form.body.data,
            send_token=form.send_token.data,
        )
    except ServiceError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _render(event, form, status=409)
    if message is None:
        db.session.rollback()
        flash("This message was already sent; it has not been sent again.", "info")
    else:
        db.session.commit()
        flash(f"The message is sent to {plural(message.recipient_count, 'person', 'people')}.", "success")
    return redirect(url_for("events.messages", event_id=event.id))
