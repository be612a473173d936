"""Organiser pages: the organisations fellows (and later event hosts and speakers) belong to, and the
shared topic vocabulary used for fellows' interests and events' topics."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import audit
from core.errors import ServiceError
from core.models import Tag
from core.permissions import organiser_required
from core.request_args import paginate
from core.search import contains_text
from core.tags import all_tags
from extensions import db
from fellows.forms import OrganisationForm, TagForm
from fellows.manage.services import (
    create_tag,
    delete_tag,
    describe_usage,
    fellow_counts,
    rename_tag,
    save_organisation,
    tag_usage,
)
from fellows.models import Organisation

# Organisations -----------------------------------------------------------------------------


@organiser_required
def organisations():
    """Every organisation with how many fellows it has; search by name."""
    q = request.args.get("q", "").strip()
    query = select(Organisation).order_by(Organisation.name, Organisation.id)
    if q:
        query = query.where(contains_text(Organisation.name, q))
    page = paginate(query, per_page=current_app.config["PAGE_SIZE"] * 2)
    return render_template(
        "fellows/manage/organisations.html",
        page=page,
        q=q,
        counts=fellow_counts([organisation.id for organisation in page.items]),
        title="Organisations",
    )


def _save_organisation_form(organisation: Organisation, form: OrganisationForm) -> bool:
    """Validate and save; on a problem the form carries the message. True when saved."""
    if not form.validate_on_submit():
        return False
    try:
        save_organisation(organisation, form.name.data, form.kind.data, form.website.data)
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        form.name.errors.append(str(error))
        return False
    except IntegrityError:
        db.session.rollback()  # the same name saved by someone else a moment ago
        form.name.errors.append(f"There is already an organisation called “{form.name.data}”.")
        return False
    return True


@organiser_required
def new_organisation():
    """Add an organisation (name, kind, website)."""
    organisation = Organisation()
    form = OrganisationForm()
    if _save_organisation_form(organisation, form):
        flash(f"{organisation.name} has been added.", "success")
        return redirect(url_for("fellows_manage.organisations"))
    return render_template(
        "fellows/manage/organisation_form.html", form=form, organisation=None, title="Add an organisation"
    ), 400 if form.errors else 200


@organiser_required
def edit_organisation(org_id: int):
    """Rename an organisation or change its kind and website; every fellow linked to it follows."""
    organisation = db.get_or_404(Organisation, org_id)
    form = OrganisationForm(obj=None if request.method == "POST" else organisation)
    if _save_organisation_form(organisation, form):
        flash(f"{organisation.name} has been saved.", "success")
        return redirect(url_for("fellows_manage.organisations"))
    return render_template(
        "fellows/manage/organisation_form.html",
        form=form,
        organisation=organisation,
        title=f"Edit {organisation.name}",
    ), 400 if form.errors else 200


# Topics ------------------------------------------------------------------------------------


@organiser_required
def tags():
    """The topic vocabulary with how often each topic is used; add a topic."""
    form = TagForm()
    if form.validate_on_submit():
        tag = _save_tag(form, lambda: create_tag(form.name.data))
        if tag is not None:
            flash(f"“{tag.name}” has been added.", "success")
            return redirect(url_for("fellows_manage.tags"))
    return render_template(
        "fellows/manage/tags.html",
        form=form,
        tags=all_tags(),
        usage=tag_usage(),
        describe=describe_usage,
        title="Topics",
    ), 400 if form.errors else 200


def _save_tag(form: TagForm, change) -> Tag | None:
    """Run ``change`` (which returns the tag) and commit; on a refusal or a name clash, roll back,
    put the reason on the form and return None."""
    try:
        tag = change()
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        form.name.errors.append(str(error))
    except IntegrityError:
        db.session.rollback()
        form.name.errors.append(f"There is already a topic called “{form.name.data}”.")
    else:
        return tag
    return None


@organiser_required
def edit_tag(tag_id: int):
    """Rename a topic: fellows' interests and events' topics show the new name, filter links follow."""
    tag = db.get_or_404(Tag, tag_id)
    form = TagForm(obj=None if request.method == "POST" else tag)
    if form.validate_on_submit():
        old_name = tag.name
        if _save_tag(form, lambda: rename_tag(tag, form.name.data)) is not None:
            flash(f"“{old_name}” is now called “{tag.name}”.", "success")
            return redirect(url_for("fellows_manage.tags"))
    return render_template(
        "fellows/manage/tag_form.html",
        form=form,
        tag=tag,
        uses=tag_usage([tag.id]).get(tag.id),
        describe=describe_usage,
        title="Rename a topic",
    ), 400 if form.errors else 200


@organiser_required
def remove_tag(tag_id: int):
    """Delete a topic nobody uses; a topic in use stays, with a message saying where it is used."""
    tag = db.get_or_404(Tag, tag_id)
    name = tag.name
    try:
        delete_tag(tag)
        audit.record(current_user, "tag.removed", name, f"topic {tag_id}")
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(f"“{name}” has been deleted.", "success")
    return redirect(url_for("fellows_manage.tags"))
