"""Organiser pages: requests to join, approved (which sends the invitation) or declined with a message."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from core import audit
from core.permissions import is_organiser, organiser_required
from extensions import db
from fellows import services
from fellows.forms import DeclineJoinRequestForm
from fellows.models import JoinRequest, User

#: Decided requests shown below the pending ones, newest first.
DECIDED_SHOWN = 50


def _decline_form(join_request: JoinRequest) -> DeclineJoinRequestForm:
    # One form per request on the same page: the prefix keeps their field ids apart.
    return DeclineJoinRequestForm(prefix=f"decline-{join_request.id}")


def _render_requests(failed_form: DeclineJoinRequestForm | None = None, failed_id: int | None = None):
    pending = db.session.scalars(
        select(JoinRequest).where(JoinRequest.status == "pending").order_by(JoinRequest.created_at, JoinRequest.id)
    ).all()
    decided = db.session.scalars(
        select(JoinRequest)
        .where(JoinRequest.status != "pending")
        .options(joinedload(JoinRequest.decided_by))
        .order_by(JoinRequest.decided_at.desc(), JoinRequest.id.desc())
        .limit(DECIDED_SHOWN)
    ).all()
    emails = {join_request.email for join_request in pending}
    accounts = {}
    if emails:
        accounts = {user.email: user for user in db.session.scalars(select(User).where(User.email.in_(emails)))}
    forms = {
        join_request.id: failed_form if join_request.id == failed_id else _decline_form(join_request)
        for join_request in pending
    }
    return render_template(
        "fellows/manage/join_requests.html",
        pending=pending,
        decided=decided,
        accounts=accounts,
        forms=forms,
        title="Requests to join",
    ), 400 if failed_form is not None else 200


@organiser_required
def join_requests():
    """Pending requests to join, oldest first, then the latest decisions and who made them."""
    return _render_requests()


def _locked_request_or_404(request_id: int) -> JoinRequest:
    # The row lock makes a second organiser deciding at the same moment wait, then see the decision.
    join_request = db.session.scalar(select(JoinRequest).where(JoinRequest.id == request_id).with_for_update())
    if join_request is None:
        abort(404)
    return join_request


def _already_decided(join_request: JoinRequest):
    """A second organiser (or a second click) may come after the decision: say so instead of acting."""
    if join_request.status == "pending":
        return None
    flash(f"The request from {join_request.email} has already been {join_request.status}.", "error")
    return redirect(url_for("fellows_manage.join_requests"))


@organiser_required
def approve_join_request(request_id: int):
    """Approve: the person gets a fellow account and an invitation to set their password."""
    join_request = _locked_request_or_404(request_id)
    if decided := _already_decided(join_request):
        return decided
    existing = services.find_user_by_email(join_request.email)
    if existing is not None and not existing.active:
        flash(
            f"{join_request.email} belongs to a deactivated account. Reactivate it from the list of fellows instead.",
            "error",
        )
        return redirect(url_for("fellows_manage.join_requests"))
    try:
        user = services.approve_join_request(join_request, current_user)
    except services.ServiceError as error:
        flash(str(error), "error")
        return redirect(url_for("fellows_manage.join_requests"))
    audit.record(
        current_user,
        "join_request.approved",
        f"{join_request.name} ({join_request.email})",
        f"join request {request_id}",
    )
    db.session.commit()
    if user.has_joined:
        flash(f"Approved. {join_request.email} already had an account, so no invitation was needed.", "success")
    else:
        flash(f"Approved. An invitation has been sent to {join_request.email}.", "success")
    return redirect(url_for("fellows_manage.join_requests"))


@organiser_required
def decline_join_request(request_id: int):
    """Decline, optionally with a message that is emailed to the person."""
    join_request = _locked_request_or_404(request_id)
    if decided := _already_decided(join_request):
        return decided
    form = _decline_form(join_request)
    if not form.validate_on_submit():
        return _render_requests(form, join_request.id)
    try:
        services.decline_join_request(join_request, current_user, form.message.data)
    except services.ServiceError as error:
        flash(str(error), "error")
        return redirect(url_for("fellows_manage.join_requests"))
    audit.record(
        current_user,
        "join_request.declined",
        f"{join_request.name} ({join_request.email})",
        f"join request {request_id}",
    )
    db.session.commit()
    flash(f"Declined. {join_request.email} has been told by email.", "success")
    return redirect(url_for("fellows_manage.join_requests"))


def home_section(user) -> dict | None:
    """For organisers: how many requests to join are waiting (left out when there are none)."""
    if not is_organiser(user):
        return None
    waiting = db.session.scalar(select(func.count(JoinRequest.id)).where(JoinRequest.status == "pending"))
    return {"waiting": waiting} if waiting else None
