"""The expert's private invitation page: no account, reached only by the link in their email.

It says who the fellow is (as far as the fellow's visibility allows), the questions they bring and
the days; the expert accepts with the half-days they can do, declines (perhaps suggesting a
colleague), and can remove themselves from the network. It also says what is kept about them and why.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from core import audit, private_links
from core.errors import ServiceError
from core.models import utcnow
from extensions import db
from programmes.forms import ExpertFeedbackForm, ExpertResponseForm, RemoveMeForm
from programmes.models import Meeting, PolicyQuestion
from programmes.visits import invitations as service
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
):
    visit = invitation.programme
    meeting = db.session.scalar(select(Meeting).where(Meeting.invitation_id == invitation.id))
    if meeting is not None and meeting.ends_at <= utcnow() and feedback_form is None:
        feedback_form = ExpertFeedbackForm(formdata=None)
        feedback_form.rating.data = str(meeting.expert_rating) if meeting.expert_rating else None
        feedback_form.comment.data = meeting.expert_comment
    questions = db.session.scalars(
        select(PolicyQuestion).where(PolicyQuestion.fellow_id == visit.fellow_id).order_by(PolicyQuestion.id)
    ).all()
    page = render_template(
        "programmes/expert_invitation.html",
        invitation=invitation,
        expert=invitation.expert,
        visit=visit,
        fellow=service.fellow_as_shown_to_experts(visit),
        questions=questions,
        token=token,
        form=form,
        remove_form=remove_form,
        meeting=meeting,
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
