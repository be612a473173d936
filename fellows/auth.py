"""Signing in and out, invitations, password resets, requests to join, the account page and email preferences."""

from __future__ import annotations

import json
from datetime import timedelta

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from core import audit, private_links
from core.forms import submit_once
from core.models import utcnow
from core.throttling import Failures
from core.urls import safe_next
from extensions import db, limiter, login_manager
from fellows import services, sign_in, user_cache
from fellows import unsubscribe as unsubscribe_links
from fellows.forms import (
    ChangePasswordForm,
    DeleteAccountForm,
    EmailPreferencesForm,
    ForgotPasswordForm,
    JoinForm,
    JoinRequestForm,
    LoginForm,
    SetPasswordForm,
)
from fellows.models import User
from fellows.two_step import services as two_step
from fellows.unsubscribe import link_for_token

login_manager.login_view = "auth.login"
login_manager.login_message = "Sign in to see that page."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, version, signed_in_at = (session_id.split(":") + ["", ""])[:3]
    if not user_id.isdigit() or not signed_in_at.isdigit():
        return None  # a session or cookie from before sign-in times were kept: sign in again
    # Signed in longer ago than a remember-me cookie lasts (ASVS 3.3.2): a copied cookie, or a browser that
    # has stayed open for weeks, must sign in again.
    if utcnow().timestamp() - int(signed_in_at) > _longest_sign_in().total_seconds():
        return None
    user = user_cache.load(int(user_id))
    # A session from before a password change (or deactivation) carries an old version.
    if user is None or str(user.session_version) != version:
        return None
    return user


def _longest_sign_in() -> timedelta:
    duration = current_app.config["REMEMBER_COOKIE_DURATION"]
    return duration if isinstance(duration, timedelta) else timedelta(seconds=duration)


def _failed_login(response) -> bool:
    return response.status_code != 302


#: Wrong passwords at sign-in, per account (by the email typed, known or not: the same for both), beside
#: the per-address limit on the view. A password reset by email clears the account's count.
SIGN_IN_FAILURES = Failures("sign-in", "LOGIN_RATE_LIMIT")


def _too_many_sign_ins() -> None:
    abort(
        429,
        f"Too many failed sign-ins for this account. Wait {SIGN_IN_FAILURES.minutes()} minutes and try "
        'again, or reset your password by email ("Forgotten your password?"): that unlocks the account at once.',
    )


# Per address: enough for an office behind one address (with TRUSTED_PROXIES set for a reverse proxy).
@limiter.limit("30 per 5 minutes", methods=["POST"], deduct_when=_failed_login)
def login():
    """Sign in with email and password. The same message answers an unknown email and a wrong password."""
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    form.remember.description = (
        f"For {_longest_sign_in().days} days at most, then you sign in again. Not on a computer others use."
    )
    if form.validate_on_submit():
        email = services.normalise_email(form.email.data)
        if SIGN_IN_FAILURES.exceeded(email):
            _too_many_sign_ins()
        user = services.authenticate(email, form.password.data)
        if user is None:
            SIGN_IN_FAILURES.failed(email)
        else:
            next_url = safe_next(request.args.get("next"), url_for("core.home"))
            remembered = two_step.device_is_remembered(user, request.cookies.get(two_step.DEVICE_COOKIE))
            if user.has_two_step and not remembered:
                sign_in.await_code(user, remember=form.remember.data, next_url=next_url)
                return redirect(url_for("auth.two_step_code"))
            sign_in.sign_in(user, remember=form.remember.data)
            return redirect(next_url)
        form.form_errors.append("The email address or password is not right, or the account cannot sign in yet.")
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form, title="Sign in"), status


def logout():
    """Sign out (a POST, so that no link or image can sign anyone out).

    The account's session version moves on, so no copy of the session cookie and no remember-me cookie
    works afterwards, on this device or any other: signing out signs out everywhere.
    """
    if current_user.is_authenticated:
        services.end_sessions(db.session.get(User, current_user.id))
        db.session.commit()
    logout_user()
    flash("You have signed out on every device.", "success")
    return redirect(url_for("core.home"))


@limiter.limit("10 per hour", methods=["POST"])
def forgot_password():
    """Ask for a reset link; the answer is the same whether or not the email has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        return render_template("auth/reset_sent.html", email=form.email.data, title="Check your email")
    return render_template("auth/forgot.html", form=form, title="Reset your password"), 400 if form.errors else 200


def _link_not_valid(purpose: str):
    abort(
        404,
        "This link is not valid: it may have been used already, replaced by a newer one, or expired. "
        + (
            "Ask an organiser to send a new invitation."
            if purpose == "invitation"
            else "You can ask for a new one on the sign-in page."
        ),
    )


def _token_or_404(token: str | None, purpose: str):
    record = services.find_usable_token(token or "", purpose)
    if record is None:
        _link_not_valid(purpose)
    return record


def _link_token(token: str | None, purpose: str, endpoint: str):
    """The link's token, and the answer to give first: a link opened from an email (a GET with the token in
    its path) is swapped for the session and redirected to the clean address (``core.private_links``)."""
    if token is None:
        return private_links.held(purpose), None
    if request.method == "GET":
        _token_or_404(token, purpose)
        return token, private_links.swap(purpose, token, url_for(endpoint))
    return token, None


def reset_password(token: str | None = None):
    """Choose a new password with a reset link (single-use, time-limited)."""
    token, swapped = _link_token(token, "password_reset", "auth.reset_password")
    if swapped is not None:
        return swapped
    record = _token_or_404(token, "password_reset")
    form = SetPasswordForm(for_user=record.user)
    if form.validate_on_submit():
        try:
            user = services.reset_password(record, form.password.data)
        except services.LinkUsedError:
            db.session.rollback()
            _link_not_valid("password_reset")
        db.session.commit()
        private_links.forget("password_reset")
        # Proving who one is by email unlocks the account.
        SIGN_IN_FAILURES.clear(user.email)
        sign_in.PASSWORD_CHECK_FAILURES.clear(str(user.id))
        logout_user()
        if user.has_two_step:
            # An emailed link proves the mailbox, not the second factor: the code is still asked for.
            sign_in.await_code(user, remember=False, next_url=url_for("core.home"))
            flash("Your password has been changed. Now enter a code from your authenticator app.", "success")
            return redirect(url_for("auth.two_step_code"))
        login_user(user)
        flash("Your password has been changed and you are signed in.", "success")
        return redirect(url_for("core.home"))
    return private_links.private(
        (
            render_template(
                "auth/set_password.html",
                form=form,
                title="Choose a new password",
                intro="Choose a new password for " + record.user.email + ".",
            ),
            400 if form.errors else 200,
        )
    )


def accept_invitation(token: str | None = None):
    """Accept an invitation: set a password, then land on one's own profile."""
    token, swapped = _link_token(token, "invitation", "auth.accept_invitation")
    if swapped is not None:
        return swapped
    record = _token_or_404(token, "invitation")
    form = JoinForm(for_user=record.user)
    if form.validate_on_submit():
        emails = {name: form[name].data for name in services.OPTIONAL_EMAILS}
        try:
            user = services.accept_invitation(record, form.password.data, emails)
        except services.LinkUsedError:
            db.session.rollback()
            _link_not_valid("invitation")
        db.session.commit()
        private_links.forget("invitation")
        logout_user()
        login_user(user)
        flash("Welcome! Your account is ready. Take a moment to complete your profile.", "success")
        return redirect(url_for("fellows.edit_profile"))
    return private_links.private(
        (
            render_template(
                "auth/join_accept.html",
                form=form,
                title="Join the Policy Fellowship",
                intro=f"Welcome, {record.user.name}. Choose a password for {record.user.email} to finish joining.",
            ),
            400 if form.errors else 200,
        )
    )


@limiter.limit("5 per hour", methods=["POST"])
def join():
    """Ask for a fellow account; an organiser decides. The answer never says whether the email is known."""
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = JoinRequestForm()
    if form.validate_on_submit():
        # A second click on "Send" (or a resend) is told what the first was, and sends nothing.
        if not submit_once(form.form_key.data).is_repeat:
            services.submit_join_request(form.name.data, form.email.data, form.organisation.data, form.reason.data)
        db.session.commit()
        return render_template("auth/join_sent.html", title="Request sent")
    return render_template("auth/join.html", form=form, title="Ask to join"), 400 if form.errors else 200


@login_required
def account():
    """Change password (ending other sessions), download one's data, delete the account."""
    form = ChangePasswordForm(prefix="password", for_user=current_user)
    if form.validate_on_submit():
        if not sign_in.check_current_password(current_user, form.current_password.data):
            form.current_password.errors.append("Your current password is not right")
        else:
            services.change_password(current_user, form.password.data)
            db.session.commit()
            login_user(current_user)  # keep this session, with the new version
            flash("Your password has been changed. Any other signed-in devices have been signed out.", "success")
            return redirect(url_for("auth.account"))
    status = 400 if form.errors else 200
    return render_template(
        "auth/account.html",
        form=form,
        delete_form=DeleteAccountForm(prefix="delete"),
        remember_days=_longest_sign_in().days,
        title="Your account",
    ), status


@login_required
def export_data():
    """Download everything held about the signed-in person, as JSON."""
    data = services.export_account_data(current_user)
    body = json.dumps(data, indent=2, ensure_ascii=False)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-policy-fellowship-data.json"'},
    )


@login_required
def delete_account():
    """Delete one's own account; bookings stay counted as anonymous places."""
    form = DeleteAccountForm(prefix="delete")
    if form.validate_on_submit() and sign_in.check_current_password(current_user, form.password.data):
        user = db.session.get(User, current_user.id)
        logout_user()
        subject = f"user {user.id}"
        services.delete_account(user)
        audit.record(
            None, "account.deleted", "A fellow deleted their account", subject, actor_name="the account's owner"
        )
        db.session.commit()
        flash("Your account and profile have been deleted.", "success")
        return redirect(url_for("core.home"))
    if form.password.data and not form.errors:
        form.password.errors.append("Your password is not right")
    return render_template(
        "auth/account.html",
        form=ChangePasswordForm(prefix="password"),
        delete_form=form,
        remember_days=_longest_sign_in().days,
        title="Your account",
    ), 400


@login_required
def email_preferences():
    """Which optional emails (reminders, write-ups, new events; organisers' alerts) the person receives."""
    form = EmailPreferencesForm()
    if not form.validate_on_submit():
        abort(400)
    services.update_email_preferences(
        current_user,
        reminders=form.notify_reminders.data,
        writeups=form.notify_writeups.data,
        new_events=form.notify_new_events.data,
        organiser_alerts=form.organiser_alerts.data,
    )
    db.session.commit()
    flash("Your email preferences are saved.", "success")
    return redirect(url_for("auth.account") + "#emails")


def unsubscribe(token: str):
    """An unsubscribe link from an optional email, no sign-in needed: GET shows a page with a button; POST
    switches the emails off — from that button, or from a mail client's one-click unsubscribe (RFC 8058),
    which sends no session and no CSRF token: the unguessable, timed token in the address is the proof."""
    found = link_for_token(token)
    if found is None:
        abort(404, "This unsubscribe link is not valid or has expired. Choose your emails on your account page.")
    user, what = found
    done = False
    if request.method == "POST":
        unsubscribe_links.stop(user, what)
        db.session.commit()
        done = True
    setting, emails = unsubscribe_links.KINDS[what]
    return private_links.private(
        render_template(
            "auth/unsubscribe.html",
            done=done,
            already_off=not getattr(user, setting),
            emails=emails,
            user=user,
            title="Stop these emails",
        )
    )
