"""The fellows' directory, profile pages, editing one's own profile, and profile photos."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from core.caching import kept_until_change
from core.images import ImageRejected
from core.models import Tag
from core.permissions import can_edit_profile, can_view_profile, is_organiser
from core.request_args import drop_unknown_filters, paginate, whole_number
from core.search import contains_text
from core.tags import all_tags, tag_choices
from extensions import db
from fellows import services
from fellows.forms import ProfileForm
from fellows.models import FELLOW_STATUSES, SECTORS, Organisation, User
from fellows.profiles import apply_profile_form, fill_profile_form


def directory_query(viewer, q: str = "", sector: str = "", cohort: str = "", status: str = "", interest: str = ""):
    """Listed fellows that ``viewer`` may see, filtered; organisers see every visibility."""
    query = (
        select(User)
        .where(User.role == "fellow", User.active.is_(True), User.password_hash.is_not(None))
        .options(selectinload(User.interests))
        .order_by(User.name, User.id)
    )
    if not is_organiser(viewer):
        query = query.where(or_(User.visibility.in_(("public", "fellows")), User.id == viewer.id))
    if q:
        text = q.strip()
        # The organisation as a subquery, not a join: the row already eager-loads its organisation.
        by_organisation = select(Organisation.id).where(contains_text(Organisation.name, text))
        query = query.where(or_(contains_text(User.name, text), User.organisation_id.in_(by_organisation)))
    if sector in SECTORS:
        query = query.where(User.sector == sector)
    if (year := whole_number(cohort)) is not None:
        query = query.where(User.cohort == year)
    if status in FELLOW_STATUSES:
        query = query.where(User.fellow_status == status)
    if interest:
        query = query.where(User.interests.any(Tag.slug == interest))
    return query


def _cohorts() -> list[int]:
    """Every fellowship year some fellow has, latest first (the directory's cohort filter)."""
    return list(
        db.session.scalars(
            select(User.cohort)
            .where(User.role == "fellow", User.cohort.is_not(None))
            .distinct()
            .order_by(User.cohort.desc())
        )
    )


@login_required
def directory():
    """Search and filter the fellows the viewer may see (signed-in users only)."""
    args = {key: request.args.get(key, "").strip() for key in ("q", "sector", "cohort", "status", "interest")}
    cohorts = kept_until_change("directory:cohorts", _cohorts)  # a scan of every fellow, so kept
    tags = all_tags()
    notices = drop_unknown_filters(
        args,
        {
            "sector": ("sector", SECTORS),
            "cohort": ("cohort", cohorts),
            "status": ("status", FELLOW_STATUSES),
            "interest": ("policy interest", [tag.slug for tag in tags]),
        },
    )
    page = paginate(directory_query(current_user, **args), per_page=current_app.config["PAGE_SIZE"])
    return render_template(
        "fellows/directory.html",
        page=page,
        args=args,
        sectors=SECTORS,
        statuses=FELLOW_STATUSES,
        cohorts=cohorts,
        tags=tags,
        filter_notices=notices,
        title="Fellows",
    )


def profile(user_id: int):
    """A fellow's profile page, as far as their visibility choice allows this viewer."""
    fellow = db.get_or_404(User, user_id)
    if fellow.role != "fellow" or not can_view_profile(current_user, fellow):
        # 404 rather than 403: a hidden profile does not reveal that it exists.
        abort(404)
    return render_template(
        "fellows/profile.html",
        fellow=fellow,
        can_edit=can_edit_profile(current_user, fellow),
        title=fellow.display_name,
    )


def photo(user_id: int):
    """The profile photo, under the same visibility rule as the profile."""
    fellow = db.get_or_404(User, user_id)
    if fellow.photo is None or not can_view_profile(current_user, fellow):
        abort(404)
    response = Response(fellow.photo.data, mimetype=fellow.photo.content_type)
    # URLs carry the photo id (?v=), so a new photo gets a new URL and old ones can be cached.
    response.headers["Cache-Control"] = "private, max-age=86400"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def my_profile():
    """The signed-in fellow's own profile page."""
    return redirect(url_for("fellows.profile", user_id=current_user.id))


@login_required
def edit_profile():
    """A fellow edits their own profile, photo and visibility."""
    if current_user.role != "fellow":
        abort(403)
    user = db.session.get(User, current_user.id)
    form = ProfileForm(obj=None if request.method == "POST" else user)
    form.interests.choices = tag_choices()
    if request.method == "GET":
        fill_profile_form(form, user)
    if form.validate_on_submit():
        try:
            apply_profile_form(form, user)
        except ImageRejected as error:
            db.session.rollback()
            form.photo.errors.append(str(error))
        else:
            db.session.commit()
            flash("Your profile has been saved.", "success")
            return redirect(url_for("fellows.profile", user_id=user.id))
    status = 400 if form.errors else 200
    return render_template(
        "fellows/edit_profile.html",
        form=form,
        fellow=user,
        title="Edit your profile",
        organisation_names=services.organisation_names(),
    ), status
