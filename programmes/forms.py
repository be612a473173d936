"""Forms of the fellowship programme: appointments, questions, experts, visit programmes, invitations."""

from __future__ import annotations

from datetime import time

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TimeField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError

from core.forms import FormKeyField, MultiCheckboxField, TextAreaField, strip_filter
from core.uploads import WholeUpload
from programmes.models import (
    DEFAULT_EXPIRE_AFTER_DAYS,
    DEFAULT_LONG_SHOTS,
    DEFAULT_MEETING_TARGET,
    DEFAULT_OVER_INVITE_PERCENT,
    FOLLOW_UP_OWNERS,
    MEETING_MODES,
    TIERS,
)

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
    meeting_target = IntegerField(
        "Meetings to aim for",
        default=DEFAULT_MEETING_TARGET,
        validators=[
            Optional(),
            NumberRange(1, 200, message="Enter a number of meetings between 1 and 200"),
        ],
    )

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
        validators=[DataRequired(message="Write the question"), Length(max=500)],
        description="One question, as you would put it to a researcher, e.g. “How can digital services "
        "stay usable for people who are not online?”",
    )
    context = TextAreaField("Background for the experts", validators=[Optional(), Length(max=4000)])
    topics = MultiCheckboxField("Topics", choices=[], validate_choice=False)


def _text(label: str, length: int = 200, **kwargs):
    return StringField(label, filters=[strip_filter], validators=[Optional(), Length(max=length)], **kwargs)


class ExpertForm(FlaskForm):
    name = StringField(
        "Name", filters=[strip_filter], validators=[DataRequired("Enter the expert's name"), Length(max=200)]
    )
    email = EmailField(
        "Email address",
        filters=[strip_filter],
        validators=[
            DataRequired("Enter an email address"),
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


class VisitForm(FlaskForm):
    #: A double click or a resend plans one visit (core.forms.submit_once).
    form_key = FormKeyField()
    fellow_id = SelectField("Fellow", coerce=int, choices=[], validate_choice=True)
    starts_on = DateField("First day", validators=[InputRequired(message="Enter the first day of the visit")])
    ends_on = DateField("Last day", validators=[InputRequired(message="Enter the last day of the visit")])
    day_starts = TimeField("Meetings from", default=time(9, 0), validators=[InputRequired("Enter a time")])
    day_ends = TimeField("Meetings until", default=time(17, 30), validators=[InputRequired("Enter a time")])
    lunch_starts = TimeField("Lunch from", default=time(12, 30), validators=[InputRequired("Enter a time")])
    lunch_ends = TimeField("Lunch until", default=time(13, 30), validators=[InputRequired("Enter a time")])
    meeting_minutes = IntegerField(
        "Meeting length (minutes)",
        default=45,
        validators=[InputRequired("Enter a length"), NumberRange(10, 240, "Between 10 and 240 minutes")],
    )
    max_per_day = IntegerField(
        "Most meetings a day",
        default=6,
        validators=[InputRequired("Enter a number"), NumberRange(1, 20, "Between 1 and 20")],
    )
    home_location = _text("Where the fellow is based", 120, description="e.g. the centre's office")
    reminder_after_days = IntegerField(
        "Remind experts who have not answered after (days)",
        default=5,
        validators=[InputRequired("Enter a number of days"), NumberRange(1, 60, "Between 1 and 60 days")],
    )
    expire_after_days = IntegerField(
        "Invitations expire unanswered after (days)",
        default=DEFAULT_EXPIRE_AFTER_DAYS,
        validators=[Optional(), NumberRange(2, 90, "Between 2 and 90 days")],
    )
    over_invite_factor = DecimalField(
        "Invite how many experts per meeting wanted",
        places=1,
        default=DEFAULT_OVER_INVITE_PERCENT / 100,
        validators=[Optional(), NumberRange(1, 5, "Between 1 and 5")],
    )
    long_shots = IntegerField(
        "Long shots among each question's suggestions",
        default=DEFAULT_LONG_SHOTS,
        validators=[Optional(), NumberRange(0, 5, "Between 0 and 5")],
    )

    def validate_starts_on(self, field):
        if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise ValidationError(f"Enter a date between {FIRST_YEAR} and {LAST_YEAR}")

    def validate_ends_on(self, field):
        if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise ValidationError(f"Enter a date between {FIRST_YEAR} and {LAST_YEAR}")
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError("The visit must end on or after its first day")


def targets_form(questions, targets: dict[int, int]) -> FlaskForm:
    """A form with a "meetings wanted" box for each of ``questions`` (named ``q<id>``), filled from ``targets``
    ({question id: meetings}) or, on a post, from what was sent."""

    class TargetsForm(FlaskForm):
        pass

    for question in questions:
        field = IntegerField(
            question.question,
            validators=[Optional(), NumberRange(1, 30, "Between 1 and 30 meetings, or leave it empty")],
        )
        setattr(TargetsForm, f"q{question.id}", field)
    return TargetsForm(data={f"q{question_id}": meetings for question_id, meetings in targets.items()})


class LongListForm(FlaskForm):
    expert_id = IntegerField("Expert", validators=[InputRequired("Choose an expert")])
    question_id = IntegerField("Question", validators=[Optional()])
    override_conflict = BooleanField("Add despite the conflict of interest (this is recorded)")


class ExpertResponseForm(FlaskForm):
    decision = RadioField(
        "Can you meet the fellow?",
        choices={"accept": "Yes, I can meet", "decline": "No, I can't this time"},
        validators=[InputRequired("Choose whether you can meet the fellow")],
    )
    available = MultiCheckboxField("Half-days you could do", choices=[], validate_choice=False)
    suggestion = TextAreaField(
        "Suggest a colleague instead (optional)",
        validators=[Optional(), Length(max=2000)],
        description="Their name and email address, if they would be happy to be contacted.",
    )
    message = TextAreaField("A note to the organisers (optional)", validators=[Optional(), Length(max=2000)])


class RemoveMeForm(FlaskForm):
    confirm = BooleanField(
        "Remove me from this network and delete what you hold about me",
        validators=[InputRequired("Tick the box to confirm")],
    )


class BusyImportForm(FlaskForm):
    """A calendar to read busy times from: an .ics file, or the address of a published free/busy calendar."""

    file = FileField(
        "Calendar file (.ics)",
        description="Exported from Outlook, Google Calendar or Apple Calendar. Up to 5 MB.",
        validators=[WholeUpload(), FileAllowed(["ics", "ical", "ifb", "icalendar"], "Upload an .ics calendar file")],
    )
    url = StringField(
        "Or the address of your published free/busy calendar",
        filters=[strip_filter],
        validators=[Length(max=2000, message="That address is too long")],
        description="It starts with https://. We read it once, now; it is not kept.",
    )

    def validate_url(self, field):
        if field.data and self.file.data:
            raise ValidationError("Give a file or an address, not both")
        if not field.data and not self.file.data:
            raise ValidationError("Upload an .ics file or give the address of your free/busy calendar")


class BusyConfirmForm(FlaskForm):
    """The previewed calendar travels back with the confirmation; the busy half-days ticked are kept free."""

    calendar = HiddenField(validators=[InputRequired("The calendar did not come back; import it again.")])
    keep = MultiCheckboxField("Tick any you can still do", choices=[], validate_choice=False)
    form_key = FormKeyField()


class MoveMeetingForm(FlaskForm):
    day = SelectField("Day", choices=[], validate_choice=True)
    start = TimeField("Starts at", validators=[InputRequired("Enter a time")])


class CancelMeetingForm(FlaskForm):
    reason = StringField(
        "Why (optional, shown in the changelog)", filters=[strip_filter], validators=[Optional(), Length(max=300)]
    )


class TravelTimeForm(FlaskForm):
    place_a = StringField("From", filters=[strip_filter], validators=[DataRequired("Name a place"), Length(max=120)])
    place_b = StringField("To", filters=[strip_filter], validators=[DataRequired("Name a place"), Length(max=120)])
    minutes = IntegerField(
        "Minutes", validators=[InputRequired("Enter the minutes"), NumberRange(0, 240, "Between 0 and 240 minutes")]
    )


def _usefulness(label: str) -> RadioField:
    """Five steps from "Very useful" (5) to "Not useful" (1): the fellow's and the expert's rating alike."""
    return RadioField(
        label,
        choices={"5": "Very useful", "4": "Useful", "3": "Somewhat", "2": "A little", "1": "Not useful"},
        validators=[InputRequired("Choose how useful it was")],
    )


class ExpertFeedbackForm(FlaskForm):
    rating = _usefulness("How useful was the conversation for you?")
    comment = TextAreaField(
        "Anything you would like the organisers to know (optional)", validators=[Optional(), Length(max=2000)]
    )


class MeetingFeedbackForm(FlaskForm):
    rating = _usefulness("How useful was this meeting?")
    follow_up = TextAreaField(
        "Notes from the meeting (private to you and the organisers)", validators=[Optional(), Length(max=4000)]
    )


class FollowUpForm(FlaskForm):
    """An action agreed at a meeting, for the follow-ups ledger."""

    #: A double click or a resend records one follow-up (core.forms.submit_once).
    form_key = FormKeyField()
    action = StringField(
        "What is to be done",
        filters=[strip_filter],
        validators=[DataRequired(message="Say what is to be done"), Length(max=300)],
        description="For example: send the 2023 evaluation, introduce them to the analysis team.",
    )
    owner = SelectField("Who does it", choices=FOLLOW_UP_OWNERS, default="fellow")
    due_on = DateField("Due", validators=[InputRequired(message="Enter the date it is due, such as 2027-03-01")])


class ImpactForm(FlaskForm):
    """An impact record: what changed in the fellow's policy work, how we know, and what led to it."""

    title = StringField(
        "Title",
        filters=[strip_filter],
        validators=[DataRequired(message="Give the change a short title"), Length(max=200)],
        description="For example: Casework triage guidance rewritten.",
    )
    what_changed = TextAreaField(
        "What changed",
        filters=[strip_filter],
        validators=[DataRequired(message="Say what changed"), Length(max=4000)],
        description="In the fellow's policy work: a decision, a policy, a plan, a way of working.",
    )
    evidence = TextAreaField(
        "Evidence",
        filters=[strip_filter],
        validators=[Optional(), Length(max=4000)],
        description="How we know: a document, a date, a figure, who can confirm it.",
    )
    happened_on = DateField("When it happened", validators=[Optional()])
    meetings = MultiCheckboxField("Meetings it drew on", coerce=int, choices=[], validate_choice=True)


class QuoteForm(FlaskForm):
    """A quote about a change, kept only with the speaker's consent."""

    text = TextAreaField(
        "Quote",
        filters=[strip_filter],
        validators=[DataRequired(message="Write the quote"), Length(max=2000)],
    )
    speaker = StringField(
        "Who said it",
        filters=[strip_filter],
        validators=[DataRequired(message="Say who said it"), Length(max=200)],
        description="As they agreed to be named, e.g. Director of Policy, DSIT.",
    )
    consent = BooleanField(
        "They agreed to be quoted in impact stories",
        validators=[InputRequired(message="A quote is kept only with the speaker's consent")],
    )
    consent_on = DateField(
        "The day they agreed", validators=[InputRequired(message="Enter the day they agreed, such as 2027-03-01")]
    )


class BriefCommentForm(FlaskForm):
    #: A double click or a resend posts one comment (core.forms.submit_once).
    form_key = FormKeyField()
    body = TextAreaField(
        "Comment",
        filters=[strip_filter],
        validators=[DataRequired(message="Write the comment"), Length(max=4000)],
    )


class IssueBriefForm(FlaskForm):
    note = StringField(
        "What changed (optional)",
        filters=[strip_filter],
        validators=[Optional(), Length(max=500)],
        description="Experts invited from now on are sent this version; those invited before see it on their page.",
    )
    tell_experts = BooleanField(
        "Email the experts already asked (not answered yet, or accepted) that the questions changed",
        default=True,
    )


class RapidQuestionForm(FlaskForm):
    """An organiser opens a rapid-response question: what is asked, by whom and why, and by when."""

    form_key = FormKeyField()
    question = StringField(
        "The question",
        filters=[strip_filter],
        validators=[DataRequired(message="Write the question"), Length(max=500)],
        description="As the panel will read it, e.g. “What does the evidence say about four-day weeks in "
        "the public sector?”",
    )
    context = TextAreaField(
        "Who is asking and why (optional)",
        validators=[Optional(), Length(max=4000)],
        description="The panel reads this with the question: the department, what the answer is for.",
    )
    topics = MultiCheckboxField("Topics", choices=[], validate_choice=False)
    deadline_on = DateField("Answers by (day)", validators=[InputRequired(message="Enter the day answers are due")])
    deadline_time = TimeField("Answers by (time)", default=time(17, 0), validators=[InputRequired("Enter a time")])


class PanelForm(FlaskForm):
    experts = MultiCheckboxField("Experts", choices=[], validate_choice=False)


class PanelAnswerForm(FlaskForm):
    answer = TextAreaField(
        "Your answer",
        filters=[strip_filter],
        validators=[DataRequired(message="Write your answer"), Length(max=10_000)],
        description="A few paragraphs is plenty; the evidence you would point a policymaker to is most useful.",
    )


class PanelThanksForm(FlaskForm):
    note = TextAreaField(
        "A line to add to the thanks (optional)",
        validators=[Optional(), Length(max=1000)],
        description="e.g. how the brief was used.",
    )
