"""Organisers import events from an .ics file: upload, preview, then confirm to create drafts."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from core.permissions import organiser_required
from events.calendar.forms import IcsConfirmForm, IcsUploadForm
from events.calendar.importing import IcsFileError, import_events, pack_calendar, preview_import, unpack_calendar
from events.urls import event_url
from extensions import db


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


@organiser_required
def upload():
    """Upload an .ics file; a valid one is shown as a preview, and nothing is saved yet."""
    form = IcsUploadForm()
    if form.validate_on_submit():
        data = form.file.data.read()
        try:
            preview = preview_import(db.session, data, _zone())
        except IcsFileError as error:
            form.file.errors.append(str(error))
        else:
            return render_template(
                "calendar/import_preview.html",
                title="Check the import",
                preview=preview,
                form=IcsConfirmForm(calendar=pack_calendar(data)),
                filename=form.file.data.filename,
                existing_links={item.uid: event_url(item.existing) for item in preview.items if item.existing},
            )
    status = 400 if form.is_submitted() else 200
    return render_template("calendar/import.html", title="Import events", form=form), status


@organiser_required
def confirm():
    """Create the previewed drafts (the file is read again: the same file gives the same result)."""
    form = IcsConfirmForm()
    if not form.validate_on_submit():
        flash("The import could not be confirmed. Upload the file again.", "error")
        return render_template("calendar/import.html", title="Import events", form=IcsUploadForm()), 400
    try:
        preview = preview_import(db.session, unpack_calendar(form.calendar.data), _zone())
    except IcsFileError as error:
        flash(str(error), "error")
        return render_template("calendar/import.html", title="Import events", form=IcsUploadForm()), 400
    created, updated = import_events(current_user, db.session, preview)
    try:
        db.session.commit()
    except IntegrityError:
        # Someone confirmed the same file a moment earlier: their drafts stand, and nothing is doubled.
        db.session.rollback()
        flash("These events were imported by someone else just now. Nothing was added twice.", "error")
        return redirect(url_for("calendar_import.upload"))
    flash(f"Imported {len(created)} new draft(s) and updated {len(updated)}. Review and publish them.", "success")
    if "events.manage" in current_app.view_functions:
        return redirect(url_for("events.manage"))
    return redirect(url_for("calendar_import.upload"))
