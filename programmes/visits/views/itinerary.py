"""The fellow's itinerary of a visit (printable): each meeting's time, place, the expert's biography and
the question it serves, as a page and as a PDF to print or carry; after a meeting, the fellow rates it and
keeps its follow-ups, the actions agreed there (``programmes.outcomes``; private to the fellow and
organisers)."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from core.errors import ServiceError
from core.forms import submit_once
from core.models import slugify, utcnow
from core.pdf import pdf_response
from core.timeutil import local_today, to_local
from extensions import db
from programmes.access import can_view_programme_of
from programmes.forms import FollowUpForm, MeetingFeedbackForm
from programmes.models import FollowUp, Meeting, VisitProgramme
from programmes.outcomes import services as outcomes
from programmes.outcomes.queries import follow_ups_by_meeting
from programmes.visits.timetable.queries import changelog_of, meetings_of
from programmes.visits.timetable.services import record_fellow_feedback


def _visit_or_404(visit_id: int) -> VisitProgramme:
    visit = db.session.get(VisitProgramme, visit_id)
    if visit is None or not can_view_programme_of(current_user, visit.fellow_id):
        abort(404)  # another fellow's visit is not revealed
    return visit


def _days(visit: VisitProgramme) -> dict[date, list[Meeting]]:
    """Each weekday of the visit (and any day a meeting was moved to) with its meetings in order."""
    days: dict[date, list[Meeting]] = {day: [] for day in visit.days()}
    for meeting in meetings_of(visit):
        days.setdefault(to_local(meeting.starts_at).date(), []).append(meeting)
    return dict(sorted(days.items()))


@login_required
def itinerary(visit_id: int):
    """Day by day: each meeting with its time, place, expert and question; feedback once it is over."""
    return _itinerary_page(_visit_or_404(visit_id))


def _itinerary_page(
    visit: VisitProgramme,
    submitted: MeetingFeedbackForm | None = None,
    meeting_id: int | None = None,
    follow_up_form: FollowUpForm | None = None,
):
    """The itinerary; ``submitted`` is a meeting's feedback form (``follow_up_form`` its new follow-up) that
    did not validate, shown with its errors and what was typed (answered 400) instead of a blank one."""
    days = _days(visit)
    now = utcnow()
    forms, follow_up_forms = {}, {}
    for meeting in (m for ms in days.values() for m in ms if m.ends_at <= now):
        if follow_up_form is not None and meeting.id == meeting_id:
            follow_up_forms[meeting.id] = follow_up_form
        else:
            follow_up_forms[meeting.id] = FollowUpForm(formdata=None, prefix=f"u{meeting.id}")
        if submitted is not None and meeting.id == meeting_id:
            forms[meeting.id] = submitted
            continue
        form = MeetingFeedbackForm(formdata=None, prefix=f"f{meeting.id}")
        form.rating.data = str(meeting.rating) if meeting.rating else None
        form.follow_up.data = meeting.follow_up
        forms[meeting.id] = form
    failed = submitted or follow_up_form
    page = render_template(
        "programmes/itinerary.html",
        visit=visit,
        days=days,
        forms=forms,
        follow_up_forms=follow_up_forms,
        follow_ups=follow_ups_by_meeting(visit),
        today=local_today(),
        submitted=failed,
        changelog=changelog_of(visit),
        title=f"Itinerary: {visit.title}",
    )
    return page, 400 if failed is not None else 200


@login_required
def itinerary_pdf(visit_id: int):
    """The itinerary as an A4 PDF: a page per day, without the feedback forms."""
    visit = _visit_or_404(visit_id)
    html = render_template("programmes/itinerary_pdf.html", visit=visit, days=_days(visit))
    filename = f"itinerary-{slugify(visit.fellow.name)[:40]}-{visit.starts_on:%Y-%m-%d}.pdf"
    return pdf_response(html, filename)


@login_required
def rate_meeting(meeting_id: int):
    """The fellow (or an organiser for them) records how useful a meeting was and any follow-ups."""
    meeting = _meeting_or_404(meeting_id)
    form = MeetingFeedbackForm(prefix=f"f{meeting.id}")
    if meeting.ends_at > utcnow():
        flash("You can rate a meeting once it has taken place.", "error")
    elif form.validate_on_submit():
        # The rating is one of the form's choices, "1" to "5".
        record_fellow_feedback(meeting, int(form.rating.data), form.follow_up.data)
        db.session.commit()
        flash("Thank you: your feedback is saved.", "success")
    else:
        return _itinerary_page(meeting.programme, form, meeting.id)
    return redirect(url_for("programmes.itinerary", visit_id=meeting.programme_id, _anchor=f"meeting-{meeting.id}"))


def _meeting_or_404(meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or not can_view_programme_of(current_user, meeting.programme.fellow_id):
        abort(404)
    return meeting


def _follow_up_or_404(follow_up_id: int) -> FollowUp:
    follow_up = db.session.get(FollowUp, follow_up_id)
    if follow_up is None or not can_view_programme_of(current_user, follow_up.meeting.programme.fellow_id):
        abort(404)  # another fellow's follow-ups are not revealed
    return follow_up


def _back_to(meeting: Meeting):
    return redirect(url_for("programmes.itinerary", visit_id=meeting.programme_id, _anchor=f"meeting-{meeting.id}"))


@login_required
def add_follow_up(meeting_id: int):
    """Record an action agreed at a meeting that has taken place: what, who does it, by when."""
    meeting = _meeting_or_404(meeting_id)
    form = FollowUpForm(prefix=f"u{meeting.id}")
    if not form.validate():
        return _itinerary_page(meeting.programme, meeting_id=meeting.id, follow_up_form=form)
    if not submit_once(form.form_key.data, current_user).is_repeat:
        try:
            outcomes.add_follow_up(meeting, current_user, form.action.data, form.owner.data, form.due_on.data)
        except ServiceError as error:
            db.session.rollback()
            form.due_on.errors = [*form.due_on.errors, str(error)]
            return _itinerary_page(meeting.programme, meeting_id=meeting.id, follow_up_form=form)
        db.session.commit()
    flash("The follow-up is recorded.", "success")
    return _back_to(meeting)


@login_required
def mark_follow_up_done(follow_up_id: int):
    """Done: it leaves the open and overdue counts (a second click changes nothing)."""
    follow_up = _follow_up_or_404(follow_up_id)
    if outcomes.mark_done(follow_up):
        db.session.commit()
        flash(f"Done: {follow_up.action}", "success")
    return _back_to(follow_up.meeting)


@login_required
def reopen_follow_up(follow_up_id: int):
    """Not done after all: open (or overdue) again, and nudged again when due."""
    follow_up = _follow_up_or_404(follow_up_id)
    if outcomes.reopen(follow_up):
        db.session.commit()
        flash(f"Open again: {follow_up.action}", "success")
    return _back_to(follow_up.meeting)


@login_required
def remove_follow_up(follow_up_id: int):
    """Recorded by mistake: it goes."""
    follow_up = _follow_up_or_404(follow_up_id)
    meeting = follow_up.meeting
    outcomes.remove_follow_up(follow_up)
    db.session.commit()
    flash("The follow-up is removed.", "success")
    return _back_to(meeting)


@login_required
def edit_follow_up(follow_up_id: int):
    """Change a follow-up's action, who does it or its due date."""
    follow_up = _follow_up_or_404(follow_up_id)
    form = FollowUpForm(obj=None if request.method == "POST" else follow_up)
    if request.method == "POST" and form.validate():
        try:
            outcomes.edit_follow_up(follow_up, form.action.data, form.owner.data, form.due_on.data)
        except ServiceError as error:
            db.session.rollback()
            form.due_on.errors = [*form.due_on.errors, str(error)]
        else:
            db.session.commit()
            flash("The follow-up is saved.", "success")
            return _back_to(follow_up.meeting)
    page = render_template(
        "programmes/follow_up_form.html",
        form=form,
        follow_up=follow_up,
        meeting=follow_up.meeting,
        title="Edit the follow-up",
    )
    return page, 400 if request.method == "POST" else 200
