"""Organiser pages for visit programmes: the list, the form, and a visit's page — the invitation tracker,
the long list of experts, suggestions for each policy question, and the button that invites them."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from core import audit
from core.errors import ServiceError
from core.forms import submit_once
from core.lib.wording import plural
from core.permissions import organiser_required
from core.request_args import paginate, whole_number
from core.timeutil import local_today
from core.uploads import UploadError, answer_repeat, confirm_once, pack, unpack
from extensions import db
from fellows.models import User
from programmes.experts.matching import questions_of, suggest_all
from programmes.experts.queries import ask_cap, ask_history
from programmes.forms import BusyConfirmForm, BusyImportForm, LongListForm, VisitForm, targets_form
from programmes.models import (
    DEFAULT_EXPIRE_AFTER_DAYS,
    DEFAULT_LONG_SHOTS,
    DEFAULT_OVER_INVITE_PERCENT,
    INVITATION_STATUSES,
    Expert,
    ExpertInvitation,
    PolicyQuestion,
    VisitProgramme,
)
from programmes.visits import invitations as service
from programmes.visits.availability import preview
from programmes.visits.queries import FUNNEL_STAGES, funnel, met_before, plans, questions_and_targets
from programmes.visits.services import VisitInput, invitation_counts, response_rate, save_visit
from programmes.visits.services import save_targets as save_targets_of
from programmes.visits.timetable.queries import changelog_of


def _fellow_choices() -> dict[int, str]:
    fellows = db.session.execute(
        select(User.id, User.name).where(User.role == "fellow", User.active.is_(True)).order_by(User.name, User.id)
    )
    return {row.id: row.name for row in fellows}


@organiser_required
def visits():
    """Every visit programme, latest first, with its invitation numbers."""
    query = select(VisitProgramme).order_by(VisitProgramme.starts_on.desc(), VisitProgramme.id.desc())
    page = paginate(query, per_page=current_app.config["PAGE_SIZE"])
    counts = invitation_counts([visit.id for visit in page.items])
    return render_template(
        "programmes/visits.html", page=page, counts=counts, rate=response_rate, title="Visit programmes"
    )


def _save(visit: VisitProgramme, form: VisitForm, answered=None) -> bool:
    """Save a valid form and commit; ``answered`` records the visit's page for a repeat of a new visit."""
    if not form.validate_on_submit():
        return False
    data = VisitInput(
        fellow_id=form.fellow_id.data,
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        day_starts=form.day_starts.data,
        day_ends=form.day_ends.data,
        meeting_minutes=form.meeting_minutes.data,
        lunch_starts=form.lunch_starts.data,
        lunch_ends=form.lunch_ends.data,
        home_location=form.home_location.data,
        max_per_day=form.max_per_day.data,
        reminder_after_days=form.reminder_after_days.data,
        expire_after_days=form.expire_after_days.data or DEFAULT_EXPIRE_AFTER_DAYS,
        over_invite_percent=(
            int(form.over_invite_factor.data * 100) if form.over_invite_factor.data else DEFAULT_OVER_INVITE_PERCENT
        ),
        long_shots=DEFAULT_LONG_SHOTS if form.long_shots.data is None else form.long_shots.data,
    )
    try:
        save_visit(visit, data)
        if answered is not None:
            answered(url_for("programmes_manage.visit", visit_id=visit.id))
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return False
    return True


def _render_form(form: VisitForm, visit: VisitProgramme | None):
    title = "Edit the visit" if visit else "Plan a visit"
    return render_template(
        "programmes/visit_form.html", form=form, visit=visit, title=title
    ), 400 if request.method == "POST" else 200


@organiser_required
def new_visit():
    """Plan a fellow's visit: days, hours, lunch, meeting length, most meetings a day."""
    form = VisitForm()
    form.fellow_id.choices = _fellow_choices()
    if request.method == "GET" and whole_number(request.args.get("fellow_id")):
        form.fellow_id.data = whole_number(request.args.get("fellow_id"))
    visit = VisitProgramme()
    if form.validate_on_submit():
        submission = submit_once(form.form_key.data, current_user)
        if submission.is_repeat:  # a double click: the visit the first one planned
            db.session.commit()
            flash("This visit is already planned. Now build the long list of experts.", "success")
            return redirect(submission.answer or url_for("programmes_manage.visits"))
        if _save(visit, form, submission.answered):
            flash(f"{visit.title} is planned. Now build the long list of experts.", "success")
            return redirect(url_for("programmes_manage.visit", visit_id=visit.id))
    return _render_form(form, None)


@organiser_required
def edit_visit(visit_id: int):
    """Change a visit's days or hours."""
    visit = db.get_or_404(VisitProgramme, visit_id)
    form = VisitForm(obj=None if request.method == "POST" else visit)
    form.fellow_id.choices = {visit.fellow_id: visit.fellow.name}
    if _save(visit, form):
        flash("The visit has been saved.", "success")
        return redirect(url_for("programmes_manage.visit", visit_id=visit.id))
    return _render_form(form, visit)


def render_visit(visit: VisitProgramme, *, error: str | None = None, status: int = 200, targets=None):
    """A visit's page: the tracker, each question's target, the long list and suggested experts for each
    question (``targets``: the targets form as posted, to show its errors)."""
    invitations = db.session.scalars(
        select(ExpertInvitation)
        .where(ExpertInvitation.programme_id == visit.id)
        .options(joinedload(ExpertInvitation.expert), joinedload(ExpertInvitation.question))
        .order_by(ExpertInvitation.status, ExpertInvitation.id)
    ).all()
    counts = dict.fromkeys(INVITATION_STATUSES, 0)  # from the rows at hand: no query of its own
    for invitation in invitations:
        counts[invitation.status] = counts.get(invitation.status, 0) + 1
    questions, wanted = questions_and_targets(visit)
    suggestions = suggest_all(visit, questions, long_shots=visit.long_shots)
    funnel_total, funnel_rows = funnel(invitations)
    shown = [i.expert for i in invitations if i.expert] + [s.expert for _, found in suggestions for s in found]
    conflicts = {expert.id: why for expert in shown if (why := service.conflict_of_interest(visit, expert))}
    return render_template(
        "programmes/visit.html",
        visit=visit,
        invitations=invitations,
        counts=counts,
        rate=response_rate(counts),
        statuses=INVITATION_STATUSES,
        suggestions=suggestions,
        form=LongListForm(),
        changelog=changelog_of(visit),
        met_before=met_before(visit),
        funnel_total=funnel_total,
        funnel_rows=funnel_rows,
        asks_per_term=ask_cap(),
        conflicts=conflicts,
        stages=FUNNEL_STAGES,
        questions=questions,
        plans=plans(visit, invitations, wanted),
        targets=targets if targets is not None else targets_form(questions, wanted),
        error=error,
        title=visit.title,
    ), status


@organiser_required
def visit(visit_id: int):
    """A visit's page: the invitation tracker, the long list and the suggested experts."""
    return render_visit(db.get_or_404(VisitProgramme, visit_id))


@organiser_required
def add_to_list(visit_id: int):
    """Put an expert (a suggestion, or one found in the network) on the visit's long list."""
    visit = db.get_or_404(VisitProgramme, visit_id)
    form = LongListForm()
    if not form.validate_on_submit():
        return render_visit(visit, error="Choose an expert to add.", status=400)
    expert = db.session.get(Expert, form.expert_id.data)
    if expert is None:
        return render_visit(visit, error="That expert is no longer in the network.", status=404)
    question = db.session.get(PolicyQuestion, form.question_id.data) if form.question_id.data else None
    try:
        service.add_to_long_list(
            visit, expert, question, override_conflict=bool(form.override_conflict.data), by=current_user
        )
        db.session.commit()
    except (ServiceError, IntegrityError) as error:
        db.session.rollback()
        message = str(error) if isinstance(error, ServiceError) else f"{expert.name} is already on the list."
        return render_visit(visit, error=message, status=409)
    flash(f"{expert.name} is on the long list.", "success")
    history = ask_history(expert.id)
    if history.at_cap:
        flash(
            f"{expert.name} has been asked {plural(history.this_term, 'time')} this term already (the usual most is "
            f"{history.cap}): take them off the list unless this meeting matters.",
            "warning",
        )
    return redirect(url_for("programmes_manage.visit", visit_id=visit.id, _anchor="long-list"))


@organiser_required
def remove_from_list(invitation_id: int):
    """Take an expert off the long list before they are invited."""
    invitation = db.get_or_404(ExpertInvitation, invitation_id)
    visit = invitation.programme
    try:
        service.remove_from_long_list(invitation)
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        return render_visit(visit, error=str(error), status=409)
    flash("Taken off the long list.", "success")
    return redirect(url_for("programmes_manage.visit", visit_id=visit.id, _anchor="long-list"))


@organiser_required
def send_invitations(visit_id: int):
    """Email the experts on the long list who have not been invited yet (for a question with a target, as
    many as its funnel wants now; the rest wait in reserve)."""
    visit = db.get_or_404(VisitProgramme, visit_id)
    if visit.starts_on <= local_today():
        return render_visit(visit, error="This visit has begun: it is too late to invite experts.", status=409)
    sent = service.send_invitations(visit)
    db.session.commit()
    reserve = sum(len(plan.reserve) for plan in service.funnel_plans(visit).values())
    held = (
        f" {plural(reserve, 'expert')} wait on the shortlists in reserve: the next is invited whenever one declines "
        "or does not answer in time."
        if reserve
        else ""
    )
    if sent:
        flash(f"{plural(sent, 'invitation')} sent. Each expert has a private link to answer.{held}", "success")
    elif reserve:
        flash(f"Nobody was invited: each question's target is covered by the experts asked.{held}", "error")
    else:
        flash("Nobody on the long list was waiting for an invitation.", "error")
    return redirect(url_for("programmes_manage.visit", visit_id=visit.id))


@organiser_required
def save_targets(visit_id: int):
    """Set the meetings wanted for each of the fellow's questions (an empty box: no target)."""
    visit = db.get_or_404(VisitProgramme, visit_id)
    questions = questions_of(visit)
    form = targets_form(questions, {})
    if not form.validate_on_submit():
        first = next((errors[0] for errors in form.errors.values() if errors), "Check the numbers.")
        return render_visit(visit, error=f"The targets were not saved: {first}", status=400, targets=form)
    try:
        save_targets_of(visit, {question.id: form[f"q{question.id}"].data for question in questions})
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        return render_visit(visit, error=str(error), status=409)
    flash("The targets have been saved.", "success")
    return redirect(url_for("programmes_manage.visit", visit_id=visit.id, _anchor="targets"))


def _accepted_or_refused(invitation_id: int):
    """The invitation whose answer a calendar import may change, or the visit's page saying why not."""
    invitation = db.get_or_404(ExpertInvitation, invitation_id)
    if invitation.expert is None or invitation.status != "accepted":
        message = "Busy times can be imported only for an expert who has accepted and offered half-days."
        return invitation, render_visit(invitation.programme, error=message, status=409)
    return invitation, None


def _busy_form_page(invitation: ExpertInvitation, form: BusyImportForm, status: int = 200):
    title = f"Import busy times for {invitation.expert.name}"
    return render_template("programmes/busy_import.html", invitation=invitation, form=form, title=title), status


@organiser_required
def busy_import(invitation_id: int):
    """On an expert's behalf (they sent their calendar, or its free/busy address): read it and show the
    half-days they offered that look busy. Nothing changes until the organiser confirms."""
    invitation, refused = _accepted_or_refused(invitation_id)
    if refused is not None:
        return refused
    form = BusyImportForm()
    if not form.validate_on_submit():
        return _busy_form_page(invitation, form, 400 if request.method == "POST" else 200)
    try:
        text = preview.calendar_text(form)
        reading = preview.busy_of(invitation.programme, text)
    except UploadError as error:
        target = form.file if form.file.data else form.url
        target.errors = [*target.errors, str(error)]
        return _busy_form_page(invitation, form, 400)
    confirm = BusyConfirmForm(formdata=None, calendar=pack(text))
    confirm.keep.choices = preview.choices(reading)
    return render_template(
        "programmes/busy_preview.html",
        title=f"Busy times in {invitation.expert.name}'s calendar",
        reading=reading,
        form=confirm,
        whose="their",
        invitation=invitation,
        action=url_for("programmes_manage.confirm_busy_import", invitation_id=invitation.id),
        back=url_for("programmes_manage.visit", visit_id=invitation.programme_id, _anchor="long-list"),
    )


@organiser_required
def confirm_busy_import(invitation_id: int):
    """Take the busy half-days left unticked off the expert's answer, once, and record it in the audit log."""
    invitation, refused = _accepted_or_refused(invitation_id)
    if refused is not None:
        return refused
    form = BusyConfirmForm()
    back = url_for("programmes_manage.visit", visit_id=invitation.programme_id, _anchor="long-list")
    try:
        if not form.validate_on_submit():
            raise UploadError(form.calendar.errors[0] if form.calendar.errors else "Import the calendar again.")
        reading = preview.busy_of(invitation.programme, unpack(form.calendar.data))
    except UploadError as error:
        again = BusyImportForm(formdata=None)
        again.url.errors = [str(error)]
        return _busy_form_page(invitation, again, 400)
    taken = preview.to_take_off(reading, form.keep.data)

    def apply():
        removed = service.mark_unavailable(invitation, taken, by_expert=False)
        audit.record(
            current_user,
            "expert.busy_imported",
            f"{plural(len(removed), 'offered half-day')} taken off from the expert's calendar "
            f"(visit {invitation.programme_id})",
            f"expert {invitation.expert_id}",
        )
        return removed, back

    try:
        confirmation = confirm_once(form.form_key.data, current_user, apply)
    except ServiceError as error:
        db.session.rollback()
        return render_visit(invitation.programme, error=str(error), status=409)
    if confirmation.repeat:
        return answer_repeat(confirmation, back)
    removed = confirmation.result
    flash(f"{plural(len(removed), 'half-day')} taken off {invitation.expert.name}'s answer.", "success")
    return redirect(confirmation.answer)
