"""Two-step sign-in pages: the code step after the password, and the person's own settings (switching it on
with a QR code, recovery codes, switching it off, forgetting remembered devices)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from core.sealing import SealError, open_seal, seal
from core.throttling import Failures
from core.urls import safe_next
from extensions import db, limiter
from fellows import sign_in
from fellows.models import User
from fellows.two_step import services
from fellows.two_step.forms import CodeForm, ConfirmedChangeForm, ForgetDevicesForm, SwitchOnForm

#: Wrong codes at the second step, per account (the per-address limit is on the view).
CODE_FAILURES = Failures("two-step", "MFA_RATE_LIMIT")
#: The secret being enrolled, sealed, until a first code confirms it.
ENROLLING = "two_step_enrolling"


def _failed(response) -> bool:
    return response.status_code != 302


@limiter.limit("30 per 5 minutes", methods=["POST"], deduct_when=_failed)
def code():
    """The second step of signing in: a code from the authenticator app, or a recovery code."""
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    waiting = sign_in.awaiting_code()
    if waiting is None:
        flash("Sign in again: the time to enter a code ran out, or you have not entered your password.", "error")
        return redirect(url_for("auth.login"))
    user, pending = waiting
    form = CodeForm()
    form.remember_device.label.text = (
        f"Don't ask again on this device for {current_app.config['MFA_REMEMBER_DEVICE_DAYS']} days"
    )
    if form.validate_on_submit():
        if CODE_FAILURES.exceeded(str(user.id)):
            abort(429, f"Too many wrong codes. Wait {CODE_FAILURES.minutes()} minutes and try again.")
        if services.check_code(user, form.code.data):
            session.pop(sign_in.PENDING, None)
            sign_in.sign_in(user, remember=bool(pending.get("remember")))
            CODE_FAILURES.clear(str(user.id))
            response = redirect(safe_next(pending.get("next"), url_for("core.home")))
            if form.remember_device.data:
                response.set_cookie(
                    services.DEVICE_COOKIE,
                    services.remembered_devices_cookie(user, request.cookies.get(services.DEVICE_COOKIE)),
                    max_age=current_app.config["MFA_REMEMBER_DEVICE_DAYS"] * 86400,
                    httponly=True,
                    secure=bool(current_app.config["SESSION_COOKIE_SECURE"]),
                    samesite="Lax",
                )
            return response
        db.session.rollback()
        CODE_FAILURES.failed(str(user.id))
        form.code.errors.append("That code is not right, or has been used. Type the newest code from the app.")
    status = 400 if form.errors else 200
    return render_template("auth/two_step_code.html", form=form, title="Enter your code"), status


def _enrolling_secret() -> str:
    """The secret shown on the settings page until a code confirms it (the same across reloads)."""
    try:
        kept = open_seal(session[ENROLLING]) if ENROLLING in session else {}
    except SealError:
        kept = {}
    if kept.get("user") != current_user.id:
        kept = {"user": current_user.id, "secret": services.new_secret()}
        session[ENROLLING] = seal(kept)
    return kept["secret"]


def _settings_page(status: int = 200, **forms):
    user = current_user
    context = {"title": "Two-step sign-in", "forget_form": ForgetDevicesForm()}
    if user.has_two_step:
        context |= {
            "codes_left": services.recovery_codes_left(user),
            "off_form": forms.get("off_form") or ConfirmedChangeForm(prefix="off"),
            "codes_form": forms.get("codes_form") or ConfirmedChangeForm(prefix="codes"),
        }
    else:
        secret = _enrolling_secret()
        uri = services.enrolment_uri(user, secret)
        context |= {
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "qr_code": services.qr_code(uri),
            "on_form": forms.get("on_form") or SwitchOnForm(),
        }
    return render_template("auth/two_step.html", **context), status


@login_required
def settings():
    """Whether two-step sign-in is on; switch it on (QR code, then a first code) or manage it."""
    response = current_app.make_response(_settings_page())
    response.headers["Referrer-Policy"] = "no-referrer"  # the page may show the secret
    return response


def _show_codes(codes: list[str], intro: str):
    # Shown in the answer to the POST, never kept: reloading does not show them again.
    return render_template("auth/two_step_codes.html", codes=codes, intro=intro, title="Your recovery codes")


@login_required
def switch_on():
    """Confirm enrolment with a first code; the recovery codes are shown once."""
    form = SwitchOnForm()
    if not form.validate_on_submit():
        return _settings_page(400, on_form=form)
    user = db.session.get(User, current_user.id)
    try:
        codes = services.switch_on(user, _enrolling_secret(), form.code.data)
    except services.TwoStepError as error:
        db.session.rollback()
        form.code.errors.append(str(error))
        return _settings_page(400, on_form=form)
    db.session.commit()
    session.pop(ENROLLING, None)
    return _show_codes(
        codes,
        "Two-step sign-in is on. Keep these recovery codes somewhere safe: each signs you in once if you lose"
        " your phone.",
    )


def _confirmed(form: ConfirmedChangeForm, user: User) -> bool:
    if not form.validate_on_submit():
        return False
    if not sign_in.check_current_password(user, form.password.data):
        form.password.errors.append("Your current password is not right")
        return False
    if not services.check_code(user, form.code.data):
        form.code.errors.append("That code is not right, or has been used")
        return False
    return True


@login_required
def switch_off():
    """Switch two-step sign-in off (the current password and a code confirm it)."""
    user = db.session.get(User, current_user.id)
    form = ConfirmedChangeForm(prefix="off")
    if not user.has_two_step:
        return redirect(url_for("auth.two_step"))
    if not _confirmed(form, user):
        db.session.rollback()
        return _settings_page(400, off_form=form)
    services.switch_off(user)
    db.session.commit()
    flash("Two-step sign-in is off. Signing in now needs only your password.", "success")
    return redirect(url_for("auth.two_step"))


@login_required
def new_codes():
    """Ten new recovery codes; the old ones stop working."""
    user = db.session.get(User, current_user.id)
    form = ConfirmedChangeForm(prefix="codes")
    if not user.has_two_step:
        return redirect(url_for("auth.two_step"))
    if not _confirmed(form, user):
        db.session.rollback()
        return _settings_page(400, codes_form=form)
    codes = services.renew_recovery_codes(user)
    db.session.commit()
    return _show_codes(codes, "Your old recovery codes no longer work. Keep these somewhere safe.")


@login_required
def forget_devices():
    """Every device remembered for two-step sign-in asks for a code again."""
    if not ForgetDevicesForm().validate_on_submit():
        abort(400)
    services.forget_devices(db.session.get(User, current_user.id))
    db.session.commit()
    flash("Every device will ask for a code at the next sign-in.", "success")
    response = redirect(url_for("auth.two_step"))
    response.delete_cookie(services.DEVICE_COOKIE)
    return response


def require_for_organisers():
    """With REQUIRE_ORGANISER_MFA, an organiser reaches no organiser page before switching two-step on."""
    if (
        current_app.config["REQUIRE_ORGANISER_MFA"]
        and request.path.startswith("/organiser")
        and current_user.is_authenticated
        and current_user.is_organiser
        and not current_user.has_two_step
    ):
        flash("Organisers must switch on two-step sign-in before using organiser pages.", "error")
        return redirect(url_for("auth.two_step"))
    return None
