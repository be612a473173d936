"""Forms of the fellowship programme: appointments, questions, experts, visit programmes, invitations."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, IntegerField, SelectField, StringField
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, ValidationError

from core.forms import MultiCheckboxField, TextAreaField, strip_filter
from programmes.models import MEETING_MODES, TIERS

FIRST_YEAR, LAST_YEAR = 1990, 2100


class AppointmentForm(FlaskForm):
    fellow_id = SelectField("Fellow", coerce=int, choices=[], validate_choice=True)
    tier = SelectField("Tier", choices=TIERS)
    cohort = IntegerField(
        "Cohort",
        validators=[
            InputRequired(message="Enter the year the cohort began"),
            NumberRange(FIRST_YEAR, LAST_YEAR, message=f"Enter a year between {FIRST_YEAR} and {LAST_YEAR}"),
        ],
    )
    starts_on = DateField("Tenure starts", validators=[InputRequired(message="Enter the first day of the tenure")])
    ends_on = DateField("Tenure ends", validators=[InputRequired(message="Enter the last day of the tenure")])

    def validate_starts_on(self, field):
        if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise ValidationError(f"Enter a date between {FIRST_YEAR} and {LAST_YEAR}")

    def validate_ends_on(self, field):
        if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise ValidationError(f"Enter a date between {FIRST_YEAR} and {LAST_YEAR}")
        if field.data and self.starts_on.data and field.data <= self.starts_on.data:
            raise ValidationError("The tenure must end after it starts")


class QuestionForm(FlaskForm):
    question = StringField(
        "Policy question",
        filters=[strip_filter],
        validators=[InputRequired(message="Write the question"), Length(max=500)],
        description="One question, as you would put it to a researcher, e.g. “How can digital services "
        "stay usable for people who are not online?”",
    )
    context = TextAreaField("Background for the experts", validators=[Optional(), Length(max=4000)])
    topics = MultiCheckboxField("Topics", choices=[], validate_choice=False)


def _text(label: str, length: int = 200, **kwargs):
    return StringField(label, filters=[strip_filter], validators=[Optional(), Length(max=length)], **kwargs)


class ExpertForm(FlaskForm):
    name = StringField(
        "Name", filters=[strip_filter], validators=[InputRequired("Enter the expert's name"), Length(max=200)]
    )
    email = EmailField(
        "Email address",
        filters=[strip_filter],
        validators=[
            InputRequired("Enter an email address"),
            Email("Enter an email address like name@example.org", check_deliverability=False),
            Length(max=320),
        ],
    )
    title = _text("Title or position", description="e.g. Professor of Public Policy")
    department = _text("Department", description="e.g. Department of Computer Science and Technology")
    organisation = _text("Organisation", description="e.g. University of Cambridge")
    location = _text(
        "Building or location", 120, description="Where they meet in person; used for travel time between meetings."
    )
    topics = MultiCheckboxField("Expertise", choices=[], validate_choice=False)
    biography = TextAreaField("Short biography", validators=[Optional(), Length(max=4000)])
    meeting_mode = SelectField("Prefers to meet", choices=MEETING_MODES)
    do_not_contact = BooleanField("Do not contact", description="Never suggested or invited while ticked.")


class MergeExpertForm(FlaskForm):
    duplicate_id = IntegerField("Duplicate", validators=[InputRequired("Choose the duplicate to merge")])
