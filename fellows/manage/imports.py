"""Organiser pages: import fellows from CSV (upload → preview with every row's errors → confirm → invite)."""

from __future__ import annotations

from flask import flash, redirect, render_template, session, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from core import audit
from core.permissions import organiser_required
from core.uploads import CSV, MISSING, UploadError, answer_repeat, confirm_once, pack, read_upload, unpack
from extensions import db
from fellows.forms import ConfirmImportForm, CSVUploadForm
from fellows.manage.csv_apply import apply_import
from fellows.manage.csv_check import COLUMNS, INTEREST_SEPARATOR, MAX_ROWS, ImportPreview, preview_import
from fellows.manage.services import invite_uninvited_fellows, uninvited_count
from fellows.models import SECTORS

#: The session key under which the last import's outcome waits for the "done" page.
LAST_IMPORT = "fellows_import"


def _render_upload(form: CSVUploadForm):
    return render_template(
        "fellows/manage/import.html",
        form=form,
        columns=COLUMNS,
        sectors=SECTORS,
        max_rows=MAX_ROWS,
        separator=INTEREST_SEPARATOR,
        title="Import fellows",
    ), 400 if form.errors else 200


def _upload_again(message: str):
    """The upload page with ``message`` on the file field (a confirmation that could not go ahead)."""
    upload = CSVUploadForm(formdata=None)
    upload.file.errors = [message]
    return _render_upload(upload)


def _render_preview(preview: ImportPreview, stale: bool = False, key: str | None = None):
    confirm = ConfirmImportForm(formdata=None, content=pack(preview.text), **({"form_key": key} if key else {}))
    return render_template(
        "fellows/manage/import_preview.html",
        preview=preview,
        confirm=confirm,
        upload=CSVUploadForm(formdata=None),
        stale=stale,
        separator=INTEREST_SEPARATOR,
        title="Check the import",
    ), 400 if preview.has_errors else 200


@organiser_required
def import_csv():
    """Upload a CSV file of fellows and see every row checked; nothing is saved yet."""
    form = CSVUploadForm()
    if form.validate_on_submit():
        try:
            preview = preview_import(read_upload(form.file.data, CSV))
        except UploadError as error:
            form.file.errors.append(str(error))
        else:
            return _render_preview(preview)
    return _render_upload(form)


@organiser_required
def confirm_import():
    """Import a checked file. It is checked again first: the database may have changed since the preview."""
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        return _upload_again(MISSING)
    try:
        preview = preview_import(unpack(form.content.data))
    except UploadError as error:
        return _upload_again(str(error))
    if preview.has_errors:
        return _render_preview(preview, stale=True, key=form.form_key.data)

    def apply():
        result = apply_import(preview, overwrite_own=form.overwrite.data)
        audit.record(
            current_user,
            "fellows.imported",
            f"{len(result.created)} created, {len(result.updated)} updated"
            + (" (values fellows set themselves replaced)" if form.overwrite.data else ""),
        )
        return result, url_for("fellows_manage.import_done")

    try:
        confirmation = confirm_once(form.form_key.data, current_user, apply)
    except IntegrityError:
        # Another organiser added one of these fellows between the check and the import.
        db.session.rollback()
        return _upload_again("Somebody changed the fellows while you were importing. Upload the file again.")
    if confirmation.repeat:  # the done page still tells of the first import, and invites its fellows
        return answer_repeat(confirmation, url_for("fellows_manage.import_done"))
    result = confirmation.result
    session[LAST_IMPORT] = {
        "created": id_ranges(sorted(user.id for user in result.created)),
        "created_count": len(result.created),
        "updated_count": len(result.updated),
        "kept_count": result.kept,
    }
    return redirect(confirmation.answer)


def _last_import_ids() -> list[int]:
    outcome = session.get(LAST_IMPORT) or {}
    return [user_id for start, end in outcome.get("created", []) for user_id in range(start, end + 1)]


@organiser_required
def import_done():
    """What the last import did, with the button that invites the fellows it created."""
    outcome = session.get(LAST_IMPORT)
    if outcome is None:
        return redirect(url_for("fellows_manage.import_csv"))
    return render_template(
        "fellows/manage/import_done.html",
        outcome=outcome,
        uninvited=uninvited_count(_last_import_ids()),
        title="Import complete",
    )


@organiser_required
def invite_imported():
    """Send invitations to the fellows the last import created (those not invited since)."""
    sent = invite_uninvited_fellows(_last_import_ids(), current_user)
    db.session.commit()
    if sent:
        flash(f"Invitations sent to {sent} new fellow{'' if sent == 1 else 's'}.", "success")
    else:
        flash("Every fellow from the last import has already been invited.", "info")
    return redirect(url_for("fellows_manage.fellows", account="invited"))


def id_ranges(ids: list[int]) -> list[list[int]]:
    """[3, 4, 5, 9] → [[3, 5], [9, 9]]: a large import's new ids fit in the session cookie this way."""
    ranges: list[list[int]] = []
    for user_id in ids:
        if ranges and ranges[-1][1] == user_id - 1:
            ranges[-1][1] = user_id
        else:
            ranges.append([user_id, user_id])
    return ranges
