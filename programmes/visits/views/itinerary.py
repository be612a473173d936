"""The fellow's itinerary of a visit (printable): each meeting's time, place, the expert's biography and
the question it serves, as a page and as a PDF to print or carry; after a meeting, the fellow rates it and
notes follow-ups (private to the fellow and organisers)."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from core.models import slugify, utcnow
from core.pdf import pdf_response
from core.timeutil import to_local
from extensions import db
from programmes.access import can_view_programme_of
from programmes.forms import MeetingFeedbackForm
from programmes.models import Meeting, VisitProgramme
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


def _itinerary_page(visit: VisitProgramme, submitted: MeetingFeedbackForm | None = None, meeting_id: int | None = None):
    """The itinerary; ``submitted`` is a meeting's feedback form that did not validate, shown with its
    errors and what was typed (answered 400) instead of that meeting's saved feedback."""
    days = _days(visit)
    now = utcnow()
    forms = {}
    for meeting in (m for ms in days.values() for m in ms if m.ends_at <= now):
        if submitted is not None and meeting.id == meeting_id:
            forms[meeting.id] = submitted
            continue
        form = MeetingFeedbackForm(formdata=None, prefix=f"f{meeting.id}")
        form.rating.data = str(meeting.rating) if meeting.rating else None
        form.follow_up.data = meeting.follow_up
        forms[meeting.id] = form
    page = render_template(
        "programmes/itinerary.html",
        visit=visit,
        days=days,
        forms=forms,
        submitted=submitted,
        changelog=changelog_of(visit),
        title=f"Itinerary: {visit.title}",
    )
    return page, 400 if submitted is not None else 200


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
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or not can_view_programme_of(current_user, meeting.programme.fellow_id):
        abort(404)
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
