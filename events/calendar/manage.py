"""Organisers import events from an .ics file: upload, preview, then confirm to create drafts."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from core.permissions import organiser_required
from core.uploads import CALENDAR, MISSING, UploadError, answer_repeat, confirm_once, pack, read_upload, unpack
from events.calendar.forms import IcsConfirmForm, IcsUploadForm
from events.calendar.importing import import_events, preview_import
from events.urls import event_url
from extensions import db


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def _upload_again(message: str):
    flash(message, "error")
    return render_template("calendar/import.html", title="Import events", form=IcsUploadForm(formdata=None)), 400


def _after_import() -> str:
    """Where a confirmed import goes: the organisers' events page (when the events area is installed)."""
    return url_for("events.manage" if "events.manage" in current_app.view_functions else "calendar_import.upload")


@organiser_required
def upload():
    """Upload an .ics file; a valid one is shown as a preview, and nothing is saved yet."""
    form = IcsUploadForm()
    if form.validate_on_submit():
        try:
            text = read_upload(form.file.data, CALENDAR)
            preview = preview_import(db.session, text, _zone())
        except UploadError as error:
            form.file.errors.append(str(error))
        else:
            return render_template(
                "calendar/import_preview.html",
                title="Check the import",
                preview=preview,
                form=IcsConfirmForm(formdata=None, calendar=pack(text)),
                filename=form.file.data.filename,
                existing_links={item.uid: event_url(item.existing) for item in preview.items if item.existing},
            )
    status = 400 if form.is_submitted() else 200
    return render_template("calendar/import.html", title="Import events", form=form), status


@organiser_required
def confirm():
    """Create the previewed drafts (the file is read again: the same file gives the same result), once."""
    form = IcsConfirmForm()
    if not form.validate_on_submit():
        return _upload_again(MISSING)
    try:
        preview = preview_import(db.session, unpack(form.calendar.data), _zone())
    except UploadError as error:
        return _upload_again(str(error))

    def apply():
        return import_events(current_user, db.session, preview), _after_import()

    try:
        confirmation = confirm_once(form.form_key.data, current_user, apply)
    except IntegrityError:
        # Someone confirmed the same file a moment earlier: their drafts stand, and nothing is doubled.
        db.session.rollback()
        flash("These events were imported by someone else just now. Nothing was added twice.", "error")
        return redirect(url_for("calendar_import.upload"))
    if confirmation.repeat:
        return answer_repeat(confirmation, _after_import())
    created, updated = confirmation.result
    flash(f"Imported {len(created)} new draft(s) and updated {len(updated)}. Review and publish them.", "success")
    return redirect(confirmation.answer)
