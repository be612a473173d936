"""Forms for the "My calendar" page and the organisers' .ics import."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, HiddenField
from wtforms.validators import InputRequired

from core.forms import FormKeyField
from core.uploads import WholeUpload


class CalendarSettingsForm(FlaskForm):
    include_invitations = BooleanField(
        "Also show events I am invited to but have not booked",
        description="They appear as tentative, marked “Invited:”, until you book or the event is over.",
    )


class ResetCalendarLinkForm(FlaskForm):
    """Only the CSRF token: resetting needs no input, but it must be a deliberate POST."""


class IcsUploadForm(FlaskForm):
    file = FileField(
        "Calendar file (.ics)",
        description="Exported from another calendar, for example a partner organisation's. Up to 5 MB.",
        validators=[
            WholeUpload(),
            FileRequired("Choose an .ics file"),
            FileAllowed(["ics", "ical", "ifb", "icalendar"], "Upload an .ics calendar file"),
        ],
    )


class IcsConfirmForm(FlaskForm):
    """The previewed file travels back with the confirmation, so nothing is stored until then."""

    calendar = HiddenField(validators=[InputRequired("The calendar file is missing; upload it again.")])
    form_key = FormKeyField()
