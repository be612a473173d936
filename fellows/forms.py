"""Forms for signing in, invitations, requests to join, profiles, organisations and CSV import."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from core.forms import (
    FormKeyField,
    MultiCheckboxField,
    TextAreaField,
    empty_to_none,
    strip_filter,
    validate_web_url,
)
from core.uploads import WholeUpload
from fellows.models import FELLOW_STATUSES, HONORIFICS, ORGANISATION_KINDS, ORGANISER_ALERTS, SECTORS, VISIBILITIES
from fellows.passwords import PASSWORD_HINT, password_problem, personal_words


def _password_field(label: str = "New password"):
    # The length and strength rule is SetPasswordForm.validate_password (fellows.passwords), which knows
    # whose password it is.
    return PasswordField(label, validators=[InputRequired(message="Enter a password")], description=PASSWORD_HINT)


def _email_field(label: str = "Email address"):
    return EmailField(
        label,
        filters=[strip_filter],
        validators=[
            InputRequired(message="Enter an email address"),
            Email(message="Enter an email address like name@example.org", check_deliverability=False),
            Length(max=320),
        ],
    )


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField("Password", validators=[InputRequired(message="Enter your password")])
    remember = BooleanField("Keep me signed in on this device")


class ForgotPasswordForm(FlaskForm):
    email = _email_field()


class SetPasswordForm(FlaskForm):
    """Choosing a password; ``for_user`` is whose it is, so that one built from their name or email is refused."""

    password = _password_field()
    confirm = PasswordField(
        "Confirm the password",
        validators=[
            InputRequired(message="Type the password again"),
            EqualTo("password", "The passwords do not match"),
        ],
    )

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.personal_words = personal_words(for_user.name, for_user.email) if for_user is not None else []

    def validate_password(self, field) -> None:
        problem = password_problem(field.data or "", self.personal_words)
        if problem:
            raise ValidationError(problem)


class JoinForm(SetPasswordForm):
    """Accepting an invitation: a password, agreement to the privacy notice (recorded, ASVS 8.3.3) and the
    optional emails, each off until the fellow ticks it."""

    consent = BooleanField(
        "I have read the privacy notice and agree to my account and profile being kept as it describes",
        validators=[InputRequired(message="Tick the box to agree to the privacy notice, or do not join")],
    )
    notify_reminders = BooleanField("A reminder the day before an event I have a place at")
    notify_writeups = BooleanField("An email when the write-up of an event I attended is published")
    notify_new_events = BooleanField("An email when a new event on one of my policy interests is published")


class ChangePasswordForm(SetPasswordForm):
    current_password = PasswordField(
        "Current password", validators=[InputRequired(message="Enter your current password")]
    )


class DeleteAccountForm(FlaskForm):
    password = PasswordField("Your password", validators=[InputRequired(message="Enter your password to confirm")])
    confirm = BooleanField(
        "I understand that my profile and account are deleted for good",
        validators=[InputRequired(message="Tick the box to confirm")],
    )


class JoinRequestForm(FlaskForm):
    #: A double click or a resend sends one request (core.forms.submit_once).
    form_key = FormKeyField()
    name = StringField(
        "Full name", filters=[strip_filter], validators=[DataRequired("Enter your name"), Length(max=200)]
    )
    email = _email_field()
    organisation = StringField(
        "Organisation", filters=[strip_filter], validators=[DataRequired("Enter your organisation"), Length(max=200)]
    )
    reason = TextAreaField(
        "Why would you like to join?",
        filters=[strip_filter],
        validators=[DataRequired("Tell us briefly why you would like to join"), Length(max=2000)],
        description="A sentence or two is enough, e.g. which cohort you belong to.",
    )


def _cohort_field():
    return IntegerField(
        "Cohort",
        validators=[Optional(), NumberRange(min=1990, max=date.today().year + 1, message="Enter the year, e.g. 2016")],
        description="The year your fellowship began.",
    )


class ProfileForm(FlaskForm):
    """A fellow's own profile (organisers edit the same fields)."""

    # strip_filter: Optional() lets a blank-looking " " past the choice check, so it must become "".
    honorific = SelectField(
        "Title", choices={h: h or "—" for h in HONORIFICS}, filters=[strip_filter], validators=[Optional()]
    )
    name = StringField("Full name", filters=[strip_filter], validators=[DataRequired("Enter a name"), Length(max=200)])
    job_title = StringField("Job title", filters=[empty_to_none], validators=[Optional(), Length(max=200)])
    organisation = StringField(
        "Organisation",
        filters=[empty_to_none],
        validators=[Optional(), Length(max=200)],
        description="Start typing to pick an existing organisation; a new name adds it.",
    )
    sector = SelectField(
        "Sector", choices={"": "Choose a sector", **SECTORS}, filters=[strip_filter], validators=[Optional()]
    )
    cohort = _cohort_field()
    fellow_status = RadioField("Status", choices=dict(FELLOW_STATUSES), default="current")
    interests = MultiCheckboxField("Policy interests", choices=[], validate_choice=False)
    biography = TextAreaField(
        "Biography",
        filters=[empty_to_none],
        validators=[Optional(), Length(max=10000)],
        description="Markdown: **bold**, *italic*, [links](https://example.org), lists.",
    )
    links = TextAreaField(
        "Links",
        filters=[empty_to_none],
        validators=[Optional(), Length(max=2000)],
        description="One per line: a label, a space, then the address. E.g. “Personal page https://example.org”.",
    )
    visibility = RadioField("Who can see your profile", choices=dict(VISIBILITIES), default="fellows")
    photo = FileField(
        "Photo",
        validators=[FileAllowed(["png", "jpg", "jpeg", "webp"], "Upload a PNG, JPEG or WebP picture")],
        description="PNG, JPEG or WebP, up to 5 MB. It is resized to 800 pixels.",
    )
    remove_photo = BooleanField("Remove the current photo")

    def validate_links(self, field) -> None:
        parsed, problems = parse_links(field.data or "")
        if problems:
            raise ValidationError(problems[0])
        field.parsed = parsed


def parse_links(text: str) -> tuple[list[dict], list[str]]:
    """'Label https://…' lines → [{"label", "url"}]; problems name the line that is wrong."""
    links, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        label, _, url = line.rpartition(" ")
        url = url.strip()
        if not url.lower().startswith(("https://", "http://")) or len(url) < 11:
            problems.append(f"Line {number} of Links must end with a web address starting with https://")
            continue
        links.append({"label": label.strip() or url, "url": url})
    if len(links) > 10:
        problems.append("Add at most 10 links")
    return links, problems


class FellowAdminForm(ProfileForm):
    """What an organiser can change about a fellow, on top of the profile (worded for a third person)."""

    email = _email_field()
    cohort = IntegerField(
        "Cohort",
        validators=[Optional(), NumberRange(min=1990, max=date.today().year + 1, message="Enter the year, e.g. 2016")],
        description="The year their fellowship began.",
    )
    visibility = RadioField(
        "Who can see this profile",
        choices={
            "public": "Public: anyone can see the profile",
            "fellows": "Fellows only: people signed in to this site",
            "organisers": "Organisers only",
        },
        default="fellows",
    )


class InviteFellowForm(FlaskForm):
    name = StringField("Full name", filters=[strip_filter], validators=[DataRequired("Enter a name"), Length(max=200)])
    email = _email_field()
    organisation = StringField("Organisation", filters=[empty_to_none], validators=[Optional(), Length(max=200)])
    sector = SelectField(
        "Sector", choices={"": "Choose a sector", **SECTORS}, filters=[strip_filter], validators=[Optional()]
    )
    cohort = _cohort_field()


class DeclineJoinRequestForm(FlaskForm):
    message = TextAreaField(
        "Message to the applicant",
        filters=[empty_to_none],
        validators=[Optional(), Length(max=2000)],
        description="Sent with the decision.",
    )


class OrganisationForm(FlaskForm):
    name = StringField("Name", filters=[strip_filter], validators=[DataRequired("Enter a name"), Length(max=200)])
    kind = SelectField("Kind", choices=dict(ORGANISATION_KINDS))
    website = StringField(
        "Website", filters=[empty_to_none], validators=[Optional(), Length(max=500), validate_web_url]
    )


class TagForm(FlaskForm):
    name = StringField("Topic", filters=[strip_filter], validators=[DataRequired("Enter a topic"), Length(max=80)])


class CSVUploadForm(FlaskForm):
    file = FileField(
        "CSV file",
        validators=[
            WholeUpload(),
            FileRequired("Choose a CSV file"),
            FileAllowed(["csv", "txt"], "Upload a .csv file"),
        ],
        description="Columns: name, email, organisation, sector, cohort, interests (separated by ;). "
        "First row: headings.",
    )


class ConfirmImportForm(FlaskForm):
    """Carries the checked file's content back for the confirmed import (fellows' and experts'), once."""

    content = TextAreaField(validators=[InputRequired()])
    form_key = FormKeyField()
    overwrite = BooleanField(
        "Also replace values fellows set themselves (their own name, organisation, sector, cohort)"
    )


class EmailPreferencesForm(FlaskForm):
    notify_reminders = BooleanField("A reminder the day before an event I have a place at")
    notify_writeups = BooleanField("An email when the write-up of an event I attended is published")
    notify_new_events = BooleanField("An email when a new event on one of my policy interests is published")
    #: Organisers only (the account page shows it to them alone).
    organiser_alerts = RadioField(
        "New requests to join and reviewers' answers to draft write-ups",
        choices=dict(ORGANISER_ALERTS),
        validators=[Optional()],
    )


class UnsubscribeForm(FlaskForm):
    """The one button of an unsubscribe link's page (a POST, so that a mail scanner opening links changes nothing)."""
