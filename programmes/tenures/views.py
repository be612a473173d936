"""The fellow's programme pages: their appointment and their policy questions (organisers see any fellow's)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.errors import ServiceError
from core.permissions import acting_user, is_organiser
from core.tags import tag_choices, tags_by_ids
from core.timeutil import local_today
from extensions import db
from fellows.models import User
from programmes.access import can_edit_questions_of, can_view_programme_of
from programmes.briefs.services import latest_version, snapshot
from programmes.forms import QuestionForm
from programmes.models import Appointment, PolicyQuestion, VisitProgramme
from programmes.tenures.services import MAX_QUESTIONS, delete_question, save_question


@login_required
def my_programme():
    """A fellow's own programme page; organisers are sent to the tenures list."""
    if is_organiser(current_user):
        return redirect(url_for("programmes_manage.tenures"))
    if current_user.role != "fellow":
        abort(403)
    return redirect(url_for("programmes.questions", fellow_id=current_user.id))


def _fellow_or_404(fellow_id: int) -> User:
    fellow = db.get_or_404(User, fellow_id)
    if fellow.role != "fellow":
        abort(404)
    return fellow


def _question_form(question: PolicyQuestion | None = None) -> QuestionForm:
    form = QuestionForm(obj=None if request.method == "POST" else question)
    form.topics.choices = tag_choices()
    if request.method == "GET" and question is not None:
        form.topics.data = [str(tag.id) for tag in question.topics]
    return form


@login_required
def questions(fellow_id: int):
    """A fellow's appointment and policy questions, with a form to add one (the fellow and organisers)."""
    fellow = _fellow_or_404(fellow_id)
    if not can_view_programme_of(current_user, fellow.id):
        abort(404)  # another fellow's programme is not revealed
    form = _question_form()
    if request.method == "POST" and _saved(PolicyQuestion(), fellow.id, form):
        flash("The question has been added.", "success")
        return redirect(url_for("programmes.questions", fellow_id=fellow.id))
    appointment = db.session.scalar(select(Appointment).where(Appointment.fellow_id == fellow.id))
    items = db.session.scalars(
        select(PolicyQuestion)
        .where(PolicyQuestion.fellow_id == fellow.id)
        .options(selectinload(PolicyQuestion.topics))
        .order_by(PolicyQuestion.created_at, PolicyQuestion.id)
    ).all()
    brief = latest_version(fellow.id)
    return render_template(
        "programmes/questions.html",
        brief=brief,
        brief_changed=brief is not None and brief.questions != snapshot(items),
        fellow=fellow,
        appointment=appointment,
        today=local_today(),
        questions=items,
        form=form,
        max_questions=MAX_QUESTIONS,
        visits=db.session.scalars(
            select(VisitProgramme).where(VisitProgramme.fellow_id == fellow.id).order_by(VisitProgramme.starts_on)
        ).all(),
        title=f"Programme of {fellow.name}" if is_organiser(current_user) else "My programme",
    ), 400 if form.errors else 200


def _saved(question: PolicyQuestion, fellow_id: int, form) -> bool:
    """Save the question from a valid form and commit; False (with the error on the form) otherwise."""
    if not form.validate_on_submit():
        return False
    try:
        save_question(
            question,
            fellow_id=fellow_id,
            text=form.question.data,
            context=form.context.data,
            topics=tags_by_ids(form.topics.data or []),
            actor=acting_user(),
        )
    except ServiceError as error:
        db.session.rollback()
        form.question.errors.append(str(error))
        return False
    db.session.commit()
    return True


def _question_or_404(question_id: int) -> PolicyQuestion:
    question = db.get_or_404(PolicyQuestion, question_id)
    if not can_edit_questions_of(current_user, question.fellow_id):
        abort(404)
    return question


@login_required
def edit_question(question_id: int):
    """Change a policy question's wording, background or topics."""
    question = _question_or_404(question_id)
    form = _question_form(question)
    if _saved(question, question.fellow_id, form):
        flash("The question has been saved.", "success")
        return redirect(url_for("programmes.questions", fellow_id=question.fellow_id))
    return render_template(
        "programmes/question_form.html", form=form, question=question, title="Edit a policy question"
    ), 400 if form.errors else 200


@login_required
def remove_question(question_id: int):
    """Remove a policy question (POST)."""
    question = _question_or_404(question_id)
    fellow_id = question.fellow_id
    delete_question(question)
    db.session.commit()
    flash("The question has been removed.", "success")
    return redirect(url_for("programmes.questions", fellow_id=fellow_id))
