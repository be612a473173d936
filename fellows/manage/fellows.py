"""Organiser pages for the fellowship: every fellow, inviting, editing and deactivating them, CSV export.

Requests to join are in join_requests.py, the CSV import in imports.py, organisations and topics in
catalogue.py; fellows/manage/blueprint.py declares the URLs of all of them.
"""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from core import audit
from core.images import ImageRejected
from core.lib.csvsafe import write_csv
from core.models import utcnow
from core.permissions import organiser_required
from core.request_args import drop_unknown_filters, paginate
from core.search import contains_text
from core.tags import tag_choices
from core.urls import safe_next
from extensions import db
from fellows import services
from fellows.forms import FellowAdminForm, InviteFellowForm
from fellows.manage.services import create_fellow, email_belongs_to_another, invitation_statuses
from fellows.models import FELLOW_STATUSES, SECTORS, VISIBILITIES, Organisation, User
from fellows.notifications import notify_security_change
from fellows.profiles import apply_profile_form, fill_profile_form
from fellows.two_step import services as two_step

#: The account filter on the fellows list: value → (label, condition).
ACCOUNT_FILTERS = {
    "joined": ("Joined", lambda: (User.active.is_(True), User.password_hash.is_not(None))),
    "invited": ("Not joined yet", lambda: (User.active.is_(True), User.password_hash.is_(None))),
    "deactivated": ("Deactivated", lambda: (User.active.is_(False),)),
}
EMAIL_TAKEN = "Another account already uses this email address."


@organiser_required
def fellows():
    """Every fellow account, whatever its visibility or state (not invited, invited, joined, deactivated)."""
    q = request.args.get("q", "").strip()
    filters = {"account": request.args.get("account", "")}
    notices = drop_unknown_filters(filters, {"account": ("kind of account", ACCOUNT_FILTERS)})
    account = filters["account"]
    query = select(User).outerjoin(User.organisation).where(User.role == "fellow").order_by(User.name, User.id)
    if q:
        query = query.where(or_(*(contains_text(column, q) for column in (User.name, User.email, Organisation.name))))
    if account in ACCOUNT_FILTERS:
        query = query.where(*ACCOUNT_FILTERS[account][1]())
    page = paginate(query, per_page=current_app.config["PAGE_SIZE"] * 2)
    return render_template(
        "fellows/manage/fellows.html",
        page=page,
        q=q,
        account=account,
        account_filters=ACCOUNT_FILTERS,
        filter_notices=notices,
        statuses=invitation_statuses(page.items),
        title="All fellows",
    )


@organiser_required
def invite():
    """Create a fellow's account and email them a single-use link (valid for 7 days) to set a password."""
    form = InviteFellowForm()
    if form.validate_on_submit():
        if services.find_user_by_email(form.email.data) is not None:
            form.email.errors.append(
                "There is already an account with this email address. Find it in the list of fellows."
            )
        else:
            try:
                user = create_fellow(
                    form.name.data, form.email.data, form.organisation.data, form.sector.data, form.cohort.data
                )
                services.invite_fellow(user, current_user)
                db.session.commit()
            except IntegrityError:
                # Someone created the same account a moment ago.
                db.session.rollback()
                form.email.errors.append("There is already an account with this email address.")
            else:
                flash(
                    f"Invitation sent to {user.email}. The link works once and expires in "
                    f"{current_app.config['INVITATION_DAYS']} days.",
                    "success",
                )
                return redirect(url_for("fellows_manage.edit_fellow", user_id=user.id))
    return render_template(
        "fellows/manage/invite.html",
        form=form,
        organisation_names=services.organisation_names(),
        title="Invite a fellow",
    ), 400 if form.errors else 200


def _fellow_or_404(user_id: int) -> User:
    user = db.get_or_404(User, user_id)
    if user.role != "fellow":
        abort(404)
    return user


@organiser_required
def edit_fellow(user_id: int):
    """Change any fellow's email and profile (whatever its visibility); invitation and account buttons."""
    user = _fellow_or_404(user_id)
    form = FellowAdminForm(obj=None if request.method == "POST" else user)
    form.interests.choices = tag_choices()
    form.visibility.label.text = "Who can see this profile"
    if request.method == "GET":
        fill_profile_form(form, user)
    if form.validate_on_submit():
        if email_belongs_to_another(form.email.data, user):
            form.email.errors.append(EMAIL_TAKEN)
        else:
            try:
                old_email = user.email
                apply_profile_form(form, user)
                if user.email != old_email:
                    audit.record(
                        current_user,
                        "fellow.email_changed",
                        f"{user.name}: {old_email} → {user.email}",
                        f"user {user.id}",
                    )
                    if user.has_joined:  # before that, the old address may be a mistyped stranger's
                        notify_security_change(user, "email", old_email=old_email)
                db.session.commit()
            except ImageRejected as error:
                db.session.rollback()
                form.photo.errors.append(str(error))
            except IntegrityError:
                db.session.rollback()
                form.email.errors.append(EMAIL_TAKEN)
            else:
                flash(f"{user.display_name}’s profile has been saved.", "success")
                return redirect(url_for("fellows_manage.edit_fellow", user_id=user.id))
    return render_template(
        "fellows/manage/edit_fellow.html",
        form=form,
        fellow=user,
        status=invitation_statuses([user])[user.id],
        organisation_names=services.organisation_names(),
        title=f"Edit {user.display_name}",
    ), 400 if form.errors else 200


def _back_to(user: User):
    """Return to where the button was pressed: the list (keeping its filters) or the fellow's page."""
    target = safe_next(request.form.get("next"), "")
    if target.startswith("/organiser/"):
        return redirect(target)
    return redirect(url_for("fellows_manage.edit_fellow", user_id=user.id))


@organiser_required
def send_invitation(user_id: int):
    """Send (or resend) the invitation: a fresh link; any earlier one stops working."""
    user = _fellow_or_404(user_id)
    if user.has_joined:
        flash(f"{user.display_name} has already joined; there is no invitation to send.", "error")
    elif not user.active:
        flash(f"{user.display_name}’s account is deactivated. Reactivate it before sending an invitation.", "error")
    else:
        services.invite_fellow(user, current_user)
        db.session.commit()
        flash(f"A new invitation has been sent to {user.email}. Earlier links no longer work.", "success")
    return _back_to(user)


@organiser_required
def revoke_invitation(user_id: int):
    """Stop the fellow's outstanding invitation link from working."""
    user = _fellow_or_404(user_id)
    if services.revoke_invitation(user):
        audit.record(current_user, "invitation.revoked", f"{user.name} ({user.email})", f"user {user.id}")
        db.session.commit()
        flash(f"The invitation for {user.email} has been revoked; its link no longer works.", "success")
    else:
        flash(f"{user.display_name} has no invitation waiting to be accepted.", "error")
    return _back_to(user)


@organiser_required
def deactivate(user_id: int):
    """The fellow can no longer sign in; their bookings and history stay."""
    user = _fellow_or_404(user_id)
    if user.active:
        services.deactivate_user(user)
        audit.record(current_user, "fellow.deactivated", f"{user.name} ({user.email})", f"user {user.id}")
        db.session.commit()
        flash(f"{user.display_name}’s account is deactivated: they cannot sign in. Their history is kept.", "success")
    return _back_to(user)


@organiser_required
def switch_off_two_step(user_id: int):
    """For a fellow who lost their phone and their recovery codes: signing in needs only the password again
    (audited, and the fellow is emailed)."""
    user = _fellow_or_404(user_id)
    if user.has_two_step:
        two_step.switch_off(user, by=current_user)
        db.session.commit()
        flash(f"Two-step sign-in is off for {user.display_name}; they can switch it on again.", "success")
    return _back_to(user)


@organiser_required
def reactivate(user_id: int):
    """Let a deactivated fellow sign in again."""
    user = _fellow_or_404(user_id)
    if not user.active:
        services.reactivate_user(user)
        audit.record(current_user, "fellow.reactivated", f"{user.name} ({user.email})", f"user {user.id}")
        db.session.commit()
        message = "they can sign in again." if user.has_joined else "send them an invitation so they can join."
        flash(f"{user.display_name}’s account is active again: {message}", "success")
    return _back_to(user)


EXPORT_HEADER = [
    "name",
    "email",
    "organisation",
    "sector",
    "cohort",
    "interests",
    "honorific",
    "job title",
    "status",
    "visibility",
    "account",
    "account created",
]


@organiser_required
def export_fellows():
    """Every fellow as CSV; cells that a spreadsheet would run as formulas are exported as text."""
    users = db.session.scalars(
        select(User).where(User.role == "fellow").options(selectinload(User.interests)).order_by(User.name, User.id)
    )
    rows = (
        [
            user.name,
            user.email,
            user.organisation.name if user.organisation else "",
            SECTORS.get(user.sector, ""),
            user.cohort or "",
            "; ".join(tag.name for tag in user.interests),
            user.honorific or "",
            user.job_title or "",
            FELLOW_STATUSES.get(user.fellow_status, ""),
            VISIBILITIES.get(user.visibility, "").split(":")[0],
            "deactivated" if not user.active else ("joined" if user.has_joined else "not joined"),
            user.created_at.date().isoformat(),
        ]
        for user in users
    )
    filename = f"fellows-{utcnow():%Y-%m-%d}.csv"
    body = write_csv(EXPORT_HEADER, rows)
    audit.record(current_user, "fellows.exported", f"Every fellow's name, email and profile ({filename})")
    db.session.commit()
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
