"""Organiser pages of rapid response: the questions, opening one, its page (the panel matching proposes,
the panel, the answers), asking the panel, thanking it. The brief is a write-up of the question
(``notes.create_about``, kind ``rapid``), written and published in the write-ups workflow."""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from core import audit
from core.errors import ServiceError
from core.forms import submit_once
from core.lib.wording import plural
from core.models import utcnow
from core.permissions import organiser_required
from core.tags import tag_choices, tags_by_ids
from core.timeutil import local_to_utc
from extensions import db
from programmes.forms import PanelForm, PanelThanksForm, RapidQuestionForm
from programmes.models import Expert, PanelMember
from programmes.rapid import notifications, queries, services


@organiser_required
def rapid_questions():
    """Every rapid-response question, with its panel's counts."""
    return render_template("programmes/rapid_questions.html", listed=queries.questions(), title="Rapid response")


@organiser_required
def new_rapid_question():
    """Open a question with a deadline of days; then build its panel."""
    form = RapidQuestionForm()
    form.topics.choices = tag_choices()
    if form.validate_on_submit():
        submission = submit_once(form.form_key.data, current_user)
        if submission.is_repeat:  # a double click: the question the first one opened
            db.session.commit()
            return redirect(submission.answer or url_for("programmes_manage.rapid_questions"))
        deadline = local_to_utc(datetime.combine(form.deadline_on.data, form.deadline_time.data))
        try:
            rapid = services.open_question(
                current_user, form.question.data, form.context.data, tags_by_ids(form.topics.data or []), deadline
            )
            submission.answered(url_for("programmes_manage.rapid_question", rapid_id=rapid.id))
            db.session.commit()
        except ServiceError as error:
            db.session.rollback()
            form.deadline_on.errors.append(str(error))
        else:
            flash("The question is open. Choose its panel from the experts proposed.", "success")
            return redirect(url_for("programmes_manage.rapid_question", rapid_id=rapid.id))
    status = 400 if request.method == "POST" else 200
    return render_template("programmes/rapid_form.html", form=form, title="A rapid-response question"), status


def _question_or_404(rapid_id: int):
    rapid = queries.question(rapid_id)
    if rapid is None:
        abort(404)
    return rapid


def render_question(rapid, *, error: str | None = None, status: int = 200):
    proposals = queries.proposals(rapid)
    return render_template(
        "programmes/rapid_question.html",
        rapid=rapid,
        proposals=proposals[0][1] if proposals else [],
        matching_note=proposals.note,
        question_notes=proposals.question_notes.get(rapid.id, []),
        answers=queries.answers(rapid),
        now=utcnow(),
        thanks_form=PanelThanksForm(formdata=None),
        error=error,
        title="Rapid response",
    ), status


@organiser_required
def rapid_question(rapid_id: int):
    return render_question(_question_or_404(rapid_id))


@organiser_required
def add_to_panel(rapid_id: int):
    """Put the ticked proposals (or an expert chosen by id) on the panel."""
    rapid = _question_or_404(rapid_id)
    form = PanelForm()
    ids = {n for n in (int(v) for v in form.experts.data or [] if str(v).isdigit())}
    experts = db.session.scalars(db.select(Expert).where(Expert.id.in_(ids))).all() if ids else []
    if not experts:
        return render_question(rapid, error="Tick at least one expert to put on the panel.", status=400)
    reasons = {s.expert.id: "; ".join(s.reasons) for s in queries.proposals(rapid)[0][1]}
    try:
        added = services.add_to_panel(rapid, experts, reasons)
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        return render_question(rapid, error=str(error), status=400)
    except IntegrityError:  # another organiser put the same expert on the panel a moment ago
        db.session.rollback()
        flash("Someone else changed the panel at the same moment: here it is now.", "error")
        return redirect(url_for("programmes_manage.rapid_question", rapid_id=rapid_id, _anchor="panel"))
    flash(f"{plural(added, 'expert')} added to the panel.", "success")
    return redirect(url_for("programmes_manage.rapid_question", rapid_id=rapid.id, _anchor="panel"))


@organiser_required
def remove_panel_member(member_id: int):
    member = db.get_or_404(PanelMember, member_id)
    rapid_id = member.question_id
    try:
        services.remove_from_panel(member)
    except ServiceError as error:
        db.session.rollback()
        return render_question(_question_or_404(rapid_id), error=str(error), status=409)
    db.session.commit()
    return redirect(url_for("programmes_manage.rapid_question", rapid_id=rapid_id, _anchor="panel"))


@organiser_required
def ask_panel(rapid_id: int):
    """Email every listed expert of the panel their private link."""
    rapid = _question_or_404(rapid_id)
    now = utcnow()
    if rapid.is_past_deadline(now):
        return render_question(rapid, error="The deadline has passed: nobody new can be asked.", status=409)
    asked = notifications.ask_panel(rapid, now)
    if asked:
        audit.record(current_user, "rapid.asked", f"{plural(asked, 'expert')} asked “{rapid.question[:120]}”")
    db.session.commit()
    flash(f"{plural(asked, 'expert')} emailed." if asked else "Everyone on the panel was asked already.", "success")
    return redirect(url_for("programmes_manage.rapid_question", rapid_id=rapid.id, _anchor="panel"))


@organiser_required
def thank_panel(rapid_id: int):
    """Thank, once, every expert who answered."""
    rapid = _question_or_404(rapid_id)
    form = PanelThanksForm()
    if not form.validate_on_submit():
        return render_question(rapid, error="Keep the note under 1,000 characters.", status=400)
    thanked = notifications.thank_panel(rapid, utcnow(), (form.note.data or "").strip() or None)
    db.session.commit()
    flash(
        f"{plural(thanked, 'expert')} thanked." if thanked else "Everyone who answered was thanked already.", "success"
    )
    return redirect(url_for("programmes_manage.rapid_question", rapid_id=rapid.id, _anchor="answers"))
