"""Forms for organising events and booking places. Times are typed in the configured zone (Europe/London)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    URLField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from core.forms import MultiCheckboxField, TextAreaField, empty_to_none, strip_filter, validate_web_url
from core.lib.wording import plural
from core.tags import tags_by_ids
from core.timeutil import local_to_utc, to_local
from events.models import AUDIENCES, EVENT_KINDS, EVENT_YEARS, MAX_CAPACITY, MESSAGE_AUDIENCES, Event
from fellows.models import HONORIFICS

#: How datetime-local inputs send their value (browsers add seconds only when asked to).
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
SPEAKER_ROWS = 3


def _within_event_years(form, field) -> None:
    if field.data and field.data.year not in EVENT_YEARS:
        raise ValidationError(f"Enter a date between {EVENT_YEARS[0]} and {EVENT_YEARS[-1]}")


def _local_field(label: str, required: bool = False, description: str | None = None):
    validators = [InputRequired(message=f"Enter the {label.lower()} date and time")] if required else [Optional()]
    return DateTimeLocalField(
        label, format=LOCAL_FORMATS, validators=[*validators, _within_event_years], description=description
    )


def _capacity_range() -> list:
    return [
        NumberRange(min=0, message="Enter 0 or more"),
        NumberRange(max=MAX_CAPACITY, message=f"Enter at most {MAX_CAPACITY:,} places"),
    ]


def _to_utc(value):
    return local_to_utc(value) if value else None


def _to_local_naive(value):
    return to_local(value).replace(tzinfo=None) if value else None


class SpeakerForm(Form):
    """One speaker row; a row left blank is ignored. (A plain Form: the page's CSRF token covers it.)"""

    honorific = SelectField("Title", choices={h: h or "—" for h in HONORIFICS}, default="")
    name = StringField("Name", filters=[strip_filter], validators=[Length(max=200)])
    role = StringField(
        "Role",
        filters=[strip_filter],
        validators=[Length(max=200)],
        description="e.g. Professor of Information Systems",
    )
    organisation = StringField(
        "Affiliation",
        filters=[strip_filter],
        validators=[Length(max=200)],
        description="An organisation; a new name is added to the list.",
    )
    fellow_id = SelectField(
        "Fellow's profile",
        choices={"": "— not a fellow —"},
        default="",
        description="Links the speaker's name to their profile, for those who may see it.",
    )

    def validate_name(self, field) -> None:
        if not field.data and (self.role.data or self.organisation.data) and not self.fellow_id.data:
            raise ValidationError("Enter the speaker's name, or clear the row")

    @property
    def is_blank(self) -> bool:
        return not (self.name.data or self.fellow_id.data)


class EventForm(FlaskForm):
    title = StringField(
        "Title", filters=[strip_filter], validators=[DataRequired(message="Enter a title"), Length(max=200)]
    )
    kind = SelectField("Kind of event", choices=dict(EVENT_KINDS), default="lunch")
    summary = StringField(
        "Summary",
        filters=[empty_to_none],
        validators=[Length(max=500)],
        description="One or two sentences for the events list.",
    )
    description = TextAreaField(
        "Description",
        filters=[empty_to_none],
        validators=[Length(max=20000)],
        description="Markdown: **bold**, _italic_, [links](https://…), lists.",
    )
    starts_at = _local_field("Start", required=True)
    ends_at = _local_field("End", required=True)
    venue_name = StringField("Venue", filters=[empty_to_none], validators=[Length(max=200)])
    venue_address = StringField("Venue address", filters=[empty_to_none], validators=[Length(max=500)])
    online_url = URLField(
        "Online link",
        filters=[empty_to_none],
        validators=[Length(max=500), validate_web_url],
        description="For online or hybrid events (shown to everyone who can see the event).",
    )
    host_id = SelectField("Host organisation", choices={"": "— none —"}, default="")
    speakers = FieldList(FormField(SpeakerForm), min_entries=SPEAKER_ROWS)
    topics = MultiCheckboxField("Topics", choices={})
    capacity = IntegerField(
        "Capacity",
        validators=[Optional(), *_capacity_range()],
        description="Number of places. Leave blank for unlimited.",
    )
    registration_opens_at = _local_field("Registration opens", description="Blank: as soon as it is published.")
    registration_closes_at = _local_field("Registration closes", description="Blank: when the event starts.")
    audience = RadioField("Who can see and book it", choices=dict(AUDIENCES), default="fellows")

    #: Set by the view when editing: capacity may not go below the confirmed places.
    confirmed_count = 0

    def validate_ends_at(self, field) -> None:
        if field.data and self.starts_at.data and field.data <= self.starts_at.data:
            raise ValidationError("The end must be after the start")

    def validate_registration_closes_at(self, field) -> None:
        if field.data and self.ends_at.data and field.data >= self.ends_at.data:
            raise ValidationError("Registration must close before the event ends")

    def validate_registration_opens_at(self, field) -> None:
        if not field.data:
            return
        if self.registration_closes_at.data and field.data >= self.registration_closes_at.data:
            raise ValidationError("Registration must open before it closes")
        if self.starts_at.data and field.data >= self.starts_at.data:
            raise ValidationError("Registration must open before the event starts")

    def validate_capacity(self, field) -> None:
        if field.data is not None and field.data < self.confirmed_count:
            raise ValidationError(
                f"The capacity cannot be lower than {self.confirmed_count}: "
                f"{plural(self.confirmed_count, 'person', 'people')} already "
                f"{'has' if self.confirmed_count == 1 else 'have'} a confirmed place. "
                "Remove bookings on the attendee list first if you need fewer places."
            )

    def set_choices(self, organisations, fellows, tag_choices) -> None:
        """Fill the selects from the database (organisations, fellows, the topic vocabulary)."""
        self.host_id.choices = {"": "— none —"} | {str(o.id): o.name for o in organisations}
        fellow_choices = {"": "— not a fellow —"} | {str(f.id): f.display_name for f in fellows}
        for entry in self.speakers:
            entry.form.fellow_id.choices = fellow_choices
        self.topics.choices = tag_choices

    def fill_from(self, event: Event) -> None:
        """Show an existing event, with its times in the configured zone."""
        for name in (
            "title",
            "kind",
            "summary",
            "description",
            "venue_name",
            "venue_address",
            "online_url",
            "capacity",
            "audience",
        ):
            getattr(self, name).data = getattr(event, name)
        for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
            getattr(self, name).data = _to_local_naive(getattr(event, name))
        self.host_id.data = str(event.host_id) if event.host_id else ""
        self.topics.data = [str(tag.id) for tag in event.topics]
        while len(self.speakers) < len(event.speakers) + 1:
            self.speakers.append_entry()
        for entry, speaker in zip(self.speakers, event.speakers, strict=False):
            entry.form.honorific.data = speaker.honorific or ""
            entry.form.name.data = speaker.name
            entry.form.role.data = speaker.role
            entry.form.organisation.data = speaker.organisation.name if speaker.organisation else ""
            entry.form.fellow_id.data = str(speaker.fellow_id) if speaker.fellow_id else ""

    def event_data(self, fellow_names: dict[int, str]) -> dict:
        """The form as service data: aware UTC times, topic tags, speaker rows (blank rows dropped)."""
        speakers = []
        for entry in self.speakers:
            row = entry.form
            if row.is_blank:
                continue
            fellow_id = int(row.fellow_id.data) if row.fellow_id.data else None
            speakers.append(
                {
                    "honorific": row.honorific.data or None,
                    "name": row.name.data or fellow_names.get(fellow_id, ""),
                    "role": row.role.data or None,
                    "organisation_name": row.organisation.data or None,
                    "fellow_id": fellow_id,
                }
            )
        return {
            "title": self.title.data,
            "kind": self.kind.data,
            "summary": self.summary.data,
            "description": self.description.data,
            "starts_at": _to_utc(self.starts_at.data),
            "ends_at": _to_utc(self.ends_at.data),
            "venue_name": self.venue_name.data,
            "venue_address": self.venue_address.data,
            "online_url": self.online_url.data,
            "host_id": int(self.host_id.data) if self.host_id.data else None,
            "capacity": self.capacity.data,
            "registration_opens_at": _to_utc(self.registration_opens_at.data),
            "registration_closes_at": _to_utc(self.registration_closes_at.data),
            "audience": self.audience.data,
            "topics": tags_by_ids(self.topics.data or []),
            "speakers": speakers,
        }


class BookingForm(FlaskForm):
    """Book a place; everything asked here is optional."""

    dietary_requirements = StringField(
        "Dietary requirements",
        filters=[empty_to_none],
        validators=[Length(max=500)],
        description="e.g. vegetarian, gluten-free, nut allergy",
    )
    access_needs = StringField(
        "Access needs",
        filters=[empty_to_none],
        validators=[Length(max=500)],
        description="e.g. step-free access, hearing loop",
    )
    comment = TextAreaField("Comment for the organisers", filters=[empty_to_none], validators=[Length(max=1000)])


class AddBookingForm(BookingForm):
    """An organiser books a fellow in by hand."""

    #: Choices are the fellows the organiser searched for (or, on POST, the one chosen).
    fellow_id = RadioField("Fellow", choices=[], validators=[InputRequired(message="Choose a fellow")])


class CancelEventForm(FlaskForm):
    reason = TextAreaField(
        "Reason",
        filters=[strip_filter],
        validators=[DataRequired(message="Give a reason for cancelling"), Length(max=2000)],
        description="Shown on the event page and in the email to everyone booked.",
    )


class CapacityForm(FlaskForm):
    capacity = IntegerField(
        "Places",
        validators=[Optional(), *_capacity_range()],
        description="Leave blank for unlimited. Raising it gives places to the waitlist in order.",
    )


class AttendanceForm(FlaskForm):
    attendance = SelectField("Attendance", choices={"attended": "Attended", "no_show": "No-show", "": "Not recorded"})


class CheckInForm(AttendanceForm):
    """One tap on the check-in page; the hidden fields bring the organiser back to the same search and page."""

    find = HiddenField(filters=[lambda value: (value or "").strip()[:200]])
    page = HiddenField()
    waiting = HiddenField()


class InviteFellowsForm(FlaskForm):
    fellows = SelectMultipleField(
        "Fellows",
        choices={},
        coerce=int,
        validators=[InputRequired(message="Choose at least one fellow")],
        description="Hold Ctrl (⌘ on a Mac) to choose several.",
    )


class InviteByInterestForm(FlaskForm):
    tag_id = SelectField(
        "Policy interest",
        choices={},
        validators=[InputRequired(message="Choose an interest")],
        description="Invites every current fellow who lists this interest.",
    )


class EventMessageForm(FlaskForm):
    """An organiser's message to an event's bookers: written, previewed, then sent."""

    audience = RadioField("Send to", choices=dict(MESSAGE_AUDIENCES), default="confirmed")
    subject = StringField(
        "Subject",
        filters=[strip_filter],
        validators=[DataRequired(message="Enter a subject"), Length(max=200)],
    )
    body = TextAreaField(
        "Message",
        filters=[strip_filter],
        validators=[DataRequired(message="Write the message"), Length(max=10_000)],
        description="Plain text. Each person's email starts with their name and ends with the event's details.",
    )
    #: Set by the preview: sending the same preview twice (a double click, a resubmitted page) sends once.
    send_token = HiddenField(validators=[Optional(), Length(min=20, max=64)])
