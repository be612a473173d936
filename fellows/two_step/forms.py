"""Forms of two-step sign-in."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import InputRequired, Length


def _code_field(label: str = "Code"):
    return StringField(
        label,
        description="The 6-digit code your authenticator app shows now, or one of your recovery codes.",
        validators=[InputRequired(message="Enter the code from your app"), Length(max=20, message="Not a code")],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false"},
    )


class CodeForm(FlaskForm):
    """The second step of signing in."""

    code = _code_field()
    remember_device = BooleanField("Don't ask again on this device for 30 days")


class SwitchOnForm(FlaskForm):
    """Confirming enrolment with a first code from the app."""

    code = StringField(
        "Code from the app",
        description="After scanning, the app shows a 6-digit code that changes every 30 seconds.",
        validators=[InputRequired(message="Enter the code the app shows"), Length(max=20, message="Not a code")],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class ConfirmedChangeForm(FlaskForm):
    """Switching off, or new recovery codes: the current password and a code, so a left-open session cannot."""

    password = PasswordField(
        "Current password",
        validators=[InputRequired(message="Enter your current password")],
        render_kw={"autocomplete": "current-password"},
    )
    code = _code_field()


class ForgetDevicesForm(FlaskForm):
    """Only the CSRF token: forgetting remembered devices needs no input."""
