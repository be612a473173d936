"""The expert's private invitation page: no account, reached only by the link in their email.

It says who the fellow is (as far as the fellow's visibility allows), the questions they bring and
the days; the expert accepts with the half-days they can do, declines (perhaps suggesting a
colleague), and can remove themselves from the network. It also says what is kept about them and why, and lists the
impact stories that draw on their meetings, each of which they can ask not to name them.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from core import audit, private_links
from core.errors import ServiceError
from core.models import utcnow
from core.uploads import UploadError, answer_repeat, confirm_once, pack, unpack
from extensions import db
from programmes.briefs.queries import compare, invited_with
from programmes.forms import BusyConfirmForm, BusyImportForm, ExpertFeedbackForm, ExpertResponseForm, RemoveMeForm
from programmes.models import ImpactRecord, Meeting
from programmes.outcomes import services as outcome_services
from programmes.outcomes.queries import stories_naming
from programmes.visits import invitations as service
from programmes.visits.availability import preview
from programmes.visits.timetable.services import record_expert_feedback


def _invitation_or_404(token: str | None, invitation_id: int | None = None):
    invitation = service.find_invitation(token or "")
    if invitation is None or (invitation_id is not None and invitation.id != invitation_id):
        abort(404, "This link has not been opened in this browser, or is no longer valid: open the link in your email.")
    return invitation


def _opened(token: str | None, invitation_id: int | None):
    """The invitation and its token. The link in the email (a GET with the token in its path) is first
    swapped for the session and a clean address naming only the invitation (``core.private_links``)."""
    if token is None:
        token = private_links.held("expert", invitation_id)
        return _invitation_or_404(token, invitation_id), token, None
    invitation = _invitation_or_404(token)
    if request.method == "GET":
        clean = url_for("programmes.expert_invitation", invitation_id=invitation.id)
        return invitation, token, private_links.swap("expert", token, clean, key=invitation.id)
    return invitation, token, None


def _back(invitation):
    return private_links.private(redirect(url_for("programmes.expert_invitation", invitation_id=invitation.id)))


def _render(
    invitation,
    token: str,
    form: ExpertResponseForm,
    remove_form: RemoveMeForm,
    status: int = 200,
    feedback_form: ExpertFeedbackForm | None = None,
    calendar_form: BusyImportForm | None = None,
):
    visit = invitation.programme
    meeting = db.session.scalar(select(Meeting).where(Meeting.invitation_id == invitation.id))
    if meeting is not None and meeting.ends_at <= utcnow() and feedback_form is None:
        feedback_form = ExpertFeedbackForm(formdata=None)
        feedback_form.rating.data = str(meeting.expert_rating) if meeting.expert_rating else None
        feedback_form.comment.data = meeting.expert_comment
    sent, latest = invited_with(visit.fellow_id, invitation.brief_version)
    questions = sent.questions if sent is not None else service.brief_as_sent(invitation)
    revised = latest if sent is not None and latest.number > sent.number else None
    page = render_template(
        "programmes/expert_invitation.html",
        invitation=invitation,
        expert=invitation.expert,
        visit=visit,
        fellow=service.fellow_as_shown_to_experts(visit),
        questions=questions,
        brief=sent,
        revised=revised,
        revised_changes=compare(sent.questions, revised.questions) if revised else None,
        token=token,
        form=form,
        remove_form=remove_form,
        calendar_form=calendar_form or BusyImportForm(formdata=None),
        meeting=meeting,
        stories=stories_naming(invitation.expert.id) if invitation.expert is not None else [],
        feedback_form=feedback_form if meeting is not None and meeting.ends_at <= utcnow() else None,
        retention_days=current_app.config.get("RETENTION_EXPERT_LINK_DAYS", 30),
        title="An invitation to meet a Policy Fellow",
    )
    return private_links.private((page, status))


def expert_invitation(token: str | None = None, invitation_id: int | None = None):
    """Show the invitation; on POST record the expert's answer."""
    invitation, token, swapped = _opened(token, invitation_id)
    if swapped is not None:
        return swapped
    form = ExpertResponseForm()
    form.available.choices = invitation.programme.half_day_choices()
    if request.method == "GET":
        service.mark_opened(invitation)
        db.session.commit()
        form.decision.data = {"accepted": "accept", "declined": "decline"}.get(invitation.status)
        form.available.data = list(invitation.available or [])
        form.suggestion.data, form.message.data = invitation.suggestion, invitation.message
    elif form.validate_on_submit():
        try:
            service.respond(
                invitation,
                form.decision.data,
                available=form.available.data or [],
                suggestion=form.suggestion.data,
                message=form.message.data,
            )
            db.session.commit()
        except ServiceError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            if invitation.status == "accepted":
                flash("Thank you: the organisers will send you the time and place of your meeting.", "success")
            else:
                flash("Thank you for letting us know.", "success")
            return _back(invitation)
    return _render(invitation, token, form, RemoveMeForm(), 400 if request.method == "POST" else 200)


def remove_me(token: str | None = None, invitation_id: int | None = None):
    """The expert removes themselves from the network: erasure, keeping only anonymous answer counts."""
    invitation, token, _ = _opened(token, invitation_id)
    form = RemoveMeForm()
    if not form.validate_on_submit():
        response_form = ExpertResponseForm(formdata=None)
        response_form.available.choices = invitation.programme.half_day_choices()
        return _render(invitation, token, response_form, form, 400)
    expert = invitation.expert
    subject = f"expert {expert.id}"
    service.erase_expert(expert)
    audit.record(
        None, "expert.erased", "An expert removed themselves from the network", subject, actor_name="the expert"
    )
    db.session.commit()
    private_links.forget("expert", invitation.id)
    return private_links.private(render_template("programmes/expert_removed.html", title="You have been removed"))


def expert_feedback(token: str | None = None, invitation_id: int | None = None):
    """After the meeting, the expert may say how useful it was (optional; organisers see it)."""
    invitation, token, _ = _opened(token, invitation_id)
    meeting = db.session.scalar(select(Meeting).where(Meeting.invitation_id == invitation.id))
    if meeting is None or meeting.ends_at > utcnow():
        abort(404)
    form = ExpertFeedbackForm()
    if not form.validate_on_submit():
        response_form = ExpertResponseForm(formdata=None)
        response_form.available.choices = invitation.programme.half_day_choices()
        return _render(invitation, token, response_form, RemoveMeForm(formdata=None), 400, feedback_form=form)
    record_expert_feedback(meeting, int(form.rating.data), form.comment.data)  # a choice, "1" to "5"
    db.session.commit()
    flash("Thank you for your feedback.", "success")
    return _back(invitation)


def _answer_form(invitation, available: list[str] | None = None) -> ExpertResponseForm:
    """The answer form as the expert left it (or with ``available`` ticked instead)."""
    form = ExpertResponseForm(formdata=None)
    form.available.choices = invitation.programme.half_day_choices()
    form.decision.data = {"accepted": "accept", "declined": "decline"}.get(invitation.status)
    form.available.data = list(invitation.available or []) if available is None else available
    form.suggestion.data, form.message.data = invitation.suggestion, invitation.message
    return form


def _calendar_refused(invitation, token: str, form: BusyImportForm, message: str | None = None, status: int = 400):
    if message:
        target = form.file if form.file.data else form.url
        target.errors = [*target.errors, message]
    return _render(invitation, token, _answer_form(invitation), RemoveMeForm(formdata=None), status, calendar_form=form)


def expert_calendar(token: str | None = None, invitation_id: int | None = None):
    """Read the expert's calendar (an .ics file or a free/busy address) and show the half-days of the
    visit that look busy in it. Nothing changes until they confirm."""
    invitation, token, _ = _opened(token, invitation_id)
    form = BusyImportForm()
    if not form.validate_on_submit():
        return _calendar_refused(invitation, token, form)
    try:
        text = preview.calendar_text(form)
        reading = preview.busy_of(invitation.programme, text)
    except UploadError as error:
        return _calendar_refused(invitation, token, form, str(error))
    confirm = BusyConfirmForm(formdata=None, calendar=pack(text))
    confirm.keep.choices = preview.choices(reading)
    page = render_template(
        "programmes/busy_preview.html",
        title="Busy times in your calendar",
        reading=reading,
        form=confirm,
        whose="your",
        invitation=invitation,
        action=url_for("programmes.expert_calendar_confirm", invitation_id=invitation.id),
        back=url_for("programmes.expert_invitation", invitation_id=invitation.id),
    )
    return private_links.private(page)


def expert_calendar_confirm(token: str | None = None, invitation_id: int | None = None):
    """Take the busy half-days the expert left unticked off their answer; before an answer, tick the
    answer form's other half-days for them to check and send (nothing is saved then)."""
    invitation, token, _ = _opened(token, invitation_id)
    form = BusyConfirmForm()
    back = url_for("programmes.expert_invitation", invitation_id=invitation.id)
    try:
        if not form.validate_on_submit():
            raise UploadError(form.calendar.errors[0] if form.calendar.errors else "Import your calendar again.")
        reading = preview.busy_of(invitation.programme, unpack(form.calendar.data))
    except UploadError as error:
        calendar_form = BusyImportForm(formdata=None)
        calendar_form.url.errors = [str(error)]
        return _calendar_refused(invitation, token, calendar_form)
    taken = preview.to_take_off(reading, form.keep.data)
    busy = {str(half) for half in taken}
    if invitation.status != "accepted":
        free = [slot for slot in invitation.programme.half_day_choices() if slot not in busy]
        answer = _answer_form(invitation, free)
        answer.decision.data = "accept"
        flash("The half-days your calendar shows busy are unticked below. Check them, then send your answer.", "info")
        return _render(invitation, token, answer, RemoveMeForm(formdata=None))

    def apply():
        return service.mark_unavailable(invitation, taken, by_expert=True), back

    try:
        confirmation = confirm_once(form.form_key.data, None, apply)
    except ServiceError as error:
        db.session.rollback()
        return _calendar_refused(invitation, token, BusyImportForm(formdata=None), str(error), 409)
    if confirmation.repeat:
        return private_links.private(answer_repeat(confirmation, back))
    removed = confirmation.result
    flash(
        f"Thank you: {len(removed)} half-day(s) you had offered are now marked as not possible."
        if removed
        else "Nothing changed: none of the half-days you offered is busy in your calendar.",
        "success",
    )
    return _back(invitation)


def _story_or_404(invitation, record_id: int):
    """An impact story that draws on one of this expert's meetings; 404 for any other (none is revealed)."""
    record = db.session.get(ImpactRecord, record_id)
    expert = invitation.expert
    if (
        record is None
        or expert is None
        or not any(m.expert is not None and m.expert.id == expert.id for m in record.meetings)
    ):
        abort(404)
    return record


def withhold_story_name(record_id: int, token: str | None = None, invitation_id: int | None = None):
    """The expert asks an impact story that draws on their meeting not to name them."""
    invitation, token, _ = _opened(token, invitation_id)
    record = _story_or_404(invitation, record_id)
    if outcome_services.withhold_name(record, invitation.expert):
        audit.record(
            None, "impact.name_withheld", f"An expert asked not to be named in “{record.title}”",
            f"impact {record.id}", actor_name="the expert",
        )  # fmt: skip
    db.session.commit()
    flash("Done: the story now says “an expert” where it named you.", "success")
    return private_links.private(
        redirect(url_for("programmes.expert_invitation", invitation_id=invitation.id, _anchor="stories"))
    )


def name_in_story(record_id: int, token: str | None = None, invitation_id: int | None = None):
    """The expert lets the story name them again."""
    invitation, token, _ = _opened(token, invitation_id)
    record = _story_or_404(invitation, record_id)
    if outcome_services.name_again(record, invitation.expert):
        audit.record(
            None, "impact.name_allowed", f"An expert agreed to be named in “{record.title}” again",
            f"impact {record.id}", actor_name="the expert",
        )  # fmt: skip
    db.session.commit()
    flash("Done: the story names you again.", "success")
    return private_links.private(
        redirect(url_for("programmes.expert_invitation", invitation_id=invitation.id, _anchor="stories"))
    )
