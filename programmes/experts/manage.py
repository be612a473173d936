"""Organiser pages for the expert network: list and search, add, edit, merge duplicates, CSV import."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from core import audit
from core.errors import ServiceError
from core.permissions import organiser_required
from core.request_args import paginate
from core.tags import all_tags, tag_choices, tags_by_ids
from core.uploads import CSV, MISSING, UploadError, answer_repeat, confirm_once, pack, read_upload, unpack
from core.upsert import ConflictError, commit_or_retry
from extensions import db
from fellows.forms import ConfirmImportForm, CSVUploadForm
from programmes.experts import importing as expert_import
from programmes.experts.queries import ask_history
from programmes.experts.services import ExpertInput, experts_query, merge_experts, possible_duplicates, save_expert
from programmes.forms import ExpertForm, MergeExpertForm
from programmes.models import Expert

#: What two saves of experts at once can both try to make: an expert with one address, its topic links,
#: a new organisation or expertise tag.
EXPERT_CONSTRAINTS = {"uq_experts_email", "pk_expert_topics", "uq_organisations_name", "uq_tags_slug", "uq_tags_name"}


@organiser_required
def experts():
    """The expert network, by name; search and filter by expertise."""
    q = request.args.get("q", "").strip()
    topic = request.args.get("topic") or None
    page = paginate(experts_query(q=q, topic=topic), per_page=current_app.config["PAGE_SIZE"] * 2)
    return render_template(
        "programmes/experts.html", page=page, q=q, topic=topic, tags=all_tags(), title="Expert network"
    )


def _form(expert: Expert | None) -> ExpertForm:
    form = ExpertForm(obj=None if request.method == "POST" else expert)
    form.topics.choices = tag_choices()
    if request.method == "GET" and expert is not None:
        form.topics.data = [str(tag.id) for tag in expert.topics]
        form.organisation.data = expert.organisation.name if expert.organisation else None
    return form


def _save(expert: Expert, form: ExpertForm) -> bool:
    if not form.validate_on_submit():
        return False
    data = ExpertInput(
        name=form.name.data,
        email=form.email.data,
        title=form.title.data,
        department=form.department.data,
        organisation=form.organisation.data,
        location=form.location.data,
        biography=form.biography.data,
        meeting_mode=form.meeting_mode.data,
        do_not_contact=form.do_not_contact.data,
        topics=tags_by_ids(form.topics.data or []),
    )
    try:
        # The same address added twice at once: the slower save runs again and is told who has it.
        commit_or_retry(lambda: save_expert(expert, data), EXPERT_CONSTRAINTS)
    except ServiceError as error:
        db.session.rollback()
        form.email.errors.append(str(error))
        return False
    return True


@organiser_required
def new_expert():
    """Add an expert to the network."""
    form = _form(None)
    expert = Expert()
    if _save(expert, form):
        flash(f"{expert.name} has been added.", "success")
        return redirect(url_for("programmes_manage.experts"))
    return render_template(
        "programmes/expert_form.html", form=form, expert=None, duplicates=[], title="Add an expert"
    ), 400 if form.errors else 200


@organiser_required
def edit_expert(expert_id: int):
    """Change an expert's details, expertise, meeting preference or do-not-contact; see likely duplicates."""
    expert = db.get_or_404(Expert, expert_id)
    form = _form(expert)
    if _save(expert, form):
        flash(f"{expert.name} has been saved.", "success")
        return redirect(url_for("programmes_manage.experts"))
    return render_template(
        "programmes/expert_form.html",
        form=form,
        expert=expert,
        duplicates=possible_duplicates(expert),
        history=ask_history(expert.id),
        merge=MergeExpertForm(formdata=None),
        title=f"Edit {expert.name}",
    ), 400 if form.errors else 200


@organiser_required
def merge_expert(expert_id: int):
    """Fold a duplicate into this expert (POST): details, topics, invitations and meetings move across."""
    keep = db.get_or_404(Expert, expert_id)
    form = MergeExpertForm()
    if not form.validate_on_submit():
        abort(400, "Choose the duplicate to merge.")
    duplicate = db.session.get(Expert, form.duplicate_id.data)
    if duplicate is None:
        abort(404)
    name = duplicate.name
    try:
        merge_experts(keep, duplicate)
    except ServiceError as error:
        db.session.rollback()
        abort(400, str(error))
    audit.record(current_user, "expert.merged", f"{name} merged into {keep.name}", f"expert {keep.id}")
    db.session.commit()
    flash(f"{name} ({form.duplicate_id.data}) has been merged into {keep.name}.", "success")
    return redirect(url_for("programmes_manage.edit_expert", expert_id=keep.id))


def _upload_page(form: CSVUploadForm):
    return render_template(
        "programmes/expert_import.html",
        form=form,
        columns=expert_import.COLUMNS,
        separator=expert_import.SEPARATOR,
        max_rows=expert_import.MAX_ROWS,
        title="Import experts",
    ), 400 if form.errors else 200


def _preview_page(preview, stale: bool = False, key: str | None = None):
    confirm = ConfirmImportForm(formdata=None, content=pack(preview.text), **({"form_key": key} if key else {}))
    return render_template(
        "programmes/expert_import_preview.html",
        preview=preview,
        confirm=confirm,
        upload=CSVUploadForm(formdata=None),
        stale=stale,
        title="Check the import",
    ), 400 if preview.has_errors else 200


def _upload_again(message: str, status: int = 400):
    upload = CSVUploadForm(formdata=None)
    upload.file.errors = [message]
    return _upload_page(upload)[0], status


@organiser_required
def import_experts():
    """Upload a CSV of experts and see every row checked; nothing is saved yet."""
    form = CSVUploadForm()
    if form.validate_on_submit():
        try:
            preview = expert_import.preview_import(read_upload(form.file.data, CSV))
        except UploadError as error:
            form.file.errors.append(str(error))
        else:
            return _preview_page(preview)
    return _upload_page(form)


@organiser_required
def confirm_expert_import():
    """Import a checked file, checked again first (the network may have changed since the preview)."""
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        return _upload_again(MISSING)
    try:
        preview = expert_import.preview_import(unpack(form.content.data))
    except UploadError as error:
        return _upload_again(str(error))
    if preview.has_errors:
        return _preview_page(preview, stale=True, key=form.form_key.data)

    def apply() -> tuple[tuple[int, int], str]:
        created, updated = expert_import.apply_import(preview)
        audit.record(current_user, "experts.imported", f"{created} created, {updated} updated")
        return (created, updated), url_for("programmes_manage.experts")

    try:
        # One file confirmed twice at once: the slower import finds the experts made and updates them.
        confirmation = confirm_once(form.form_key.data, current_user, apply, EXPERT_CONSTRAINTS)
    except ConflictError as error:
        return _upload_again(str(error), 409)
    if confirmation.repeat:
        return answer_repeat(confirmation, url_for("programmes_manage.experts"))
    created, updated = confirmation.result
    flash(f"Imported: {created} new expert{'' if created == 1 else 's'}, {updated} updated.", "success")
    return redirect(confirmation.answer)
