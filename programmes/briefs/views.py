"""A fellow's brief: the versions of their questions with what each changed, the comments of each round,
and (organisers) issuing the next version. The fellow and organisers only."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from core.errors import ServiceError
from core.forms import submit_once
from core.lib.wording import plural
from core.permissions import is_organiser
from extensions import db
from fellows.models import User
from programmes.access import can_view_programme_of
from programmes.briefs import queries, services
from programmes.briefs.notifications import tell_of_comment, tell_of_revision
from programmes.forms import BriefCommentForm, IssueBriefForm


def _fellow_or_404(fellow_id: int) -> User:
    fellow = db.get_or_404(User, fellow_id)
    if fellow.role != "fellow" or not can_view_programme_of(current_user, fellow.id):
        abort(404)  # another fellow's brief is not revealed
    return fellow


def _page(fellow: User, comment_form: BriefCommentForm, issue_form: IssueBriefForm, status: int = 200):
    draft = services.draft_of(fellow.id)
    return render_template(
        "programmes/brief.html",
        fellow=fellow,
        rounds=queries.rounds(fellow.id, draft),
        has_draft=bool(draft),
        comment_form=comment_form,
        issue_form=issue_form,
        title=f"Brief of {fellow.name}" if is_organiser(current_user) else "My brief",
    ), status


@login_required
def brief(fellow_id: int):
    """The brief's history; on POST a comment in the current round."""
    fellow = _fellow_or_404(fellow_id)
    form = BriefCommentForm()
    if form.is_submitted():
        if not form.validate():
            return _page(fellow, form, IssueBriefForm(formdata=None), 400)
        submission = submit_once(form.form_key.data, current_user)
        if not submission.is_repeat:
            try:
                comment = services.add_comment(fellow.id, form.body.data, by=current_user)
            except ServiceError as error:
                db.session.rollback()
                form.body.errors.append(str(error))
                return _page(fellow, form, IssueBriefForm(formdata=None), 400)
            tell_of_comment(comment, fellow, current_user)
            db.session.commit()
        flash("Your comment has been added.", "success")
        return redirect(url_for("programmes.brief", fellow_id=fellow.id))
    return _page(fellow, BriefCommentForm(formdata=None), IssueBriefForm(formdata=None))


@login_required
def issue_brief(fellow_id: int):
    """Issue the fellow's questions as the next version (organisers, POST)."""
    if not is_organiser(current_user):
        abort(403)
    fellow = _fellow_or_404(fellow_id)
    form = IssueBriefForm()
    if not form.validate_on_submit():
        return _page(fellow, BriefCommentForm(formdata=None), form, 400)
    try:
        version = services.issue_version(fellow.id, by=current_user, note=form.note.data)
    except ServiceError as error:
        db.session.rollback()
        form.note.errors.append(str(error))
        return _page(fellow, BriefCommentForm(formdata=None), form, 409)
    told = tell_of_revision(version) if form.tell_experts.data else 0
    db.session.commit()
    flash(
        f"Version {version.number} of the brief has been issued"
        + (f"; {plural(told, 'expert')} already asked will be emailed." if told else "."),
        "success",
    )
    return redirect(url_for("programmes.brief", fellow_id=fellow.id))
