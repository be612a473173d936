"""Forms for writing a note, publishing it under the Chatham House check, review links and responses."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    StringField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from core.forms import FormKeyField, MultiCheckboxField, TextAreaField, empty_to_none, strip_filter
from writeups.models import NOTE_AUDIENCES

MAX_LINKS = 10


def parse_further_reading(text: str) -> tuple[list[dict], list[str]]:
    """'Title https://…' lines → [{"title", "url"}]; problems name the line that is wrong."""
    links, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        title, _, url = line.rpartition(" ")
        url = url.strip()
        lowered = url.lower()
        if not lowered.startswith(("https://", "http://")) or len(url) < 11 or len(url) > 500:
            problems.append(f"Line {number} of Further reading must end with a web address starting with https://")
            continue
        links.append({"title": title.strip()[:200] or url, "url": url})
    if len(links) > MAX_LINKS:
        problems.append(f"Add at most {MAX_LINKS} further-reading links")
    return links, problems


def links_to_text(links) -> str:
    """Stored links (NoteLink rows) → the text the form shows; parse_further_reading reads it back unchanged.

    A link saved without a title has its address as title, so it is shown as the bare address again.
    """
    return "\n".join(link.url if link.title == link.url else f"{link.title} {link.url}" for link in links)


class NoteForm(FlaskForm):
    """A write-up: text, who may read it, the Chatham House flag, topics, lead image and further reading."""

    #: The note version the form was opened at: a save made to an older version is refused.
    version = HiddenField()
    title = StringField("Title", filters=[strip_filter], validators=[DataRequired("Enter a title"), Length(max=200)])
    summary = TextAreaField(
        "Summary",
        filters=[strip_filter],
        validators=[DataRequired("Write a short summary for listings"), Length(max=500)],
        description="One or two sentences shown in lists, the feed and emails (plain text, up to 500 characters).",
    )
    body = TextAreaField(
        "Write-up",
        validators=[InputRequired("Write the note"), Length(max=100_000)],
        description="Markdown: ## headings, - lists, [links](https://example.org), > quotes and | tables |.",
    )
    audience = RadioField("Who may read it once published", choices=dict(NOTE_AUDIENCES), default="fellows")
    chatham_house = BooleanField(
        "Held under the Chatham House Rule",
        description="Readers are told; before publishing, the note is checked for names of speakers and attendees.",
    )
    topics = MultiCheckboxField("Topics", choices=[], validate_choice=False)
    image = FileField(
        "Image file",
        validators=[FileAllowed(["png", "jpg", "jpeg", "webp"], "Upload a PNG, JPEG or WebP picture")],
        description="PNG, JPEG or WebP, up to 5 MB. It is resized and re-encoded.",
    )
    #: A lead image chosen on an earlier try of this form that had errors, already stored (see manage.py).
    kept_image = HiddenField()
    remove_image = BooleanField("Remove the current image")
    image_caption = StringField("Image caption", filters=[empty_to_none], validators=[Optional(), Length(max=300)])
    image_credit = StringField(
        "Image credit",
        filters=[empty_to_none],
        validators=[Optional(), Length(max=200)],
        description="E.g. “Image: tablet use 1 (flickr)”.",
    )
    further_reading = TextAreaField(
        "Further reading",
        filters=[empty_to_none],
        validators=[Optional(), Length(max=5000)],
        description="One per line: a title, a space, then the address. E.g. “The speaker’s latest paper https://example.org/paper”.",
    )

    def validate_further_reading(self, field) -> None:
        parsed, problems = parse_further_reading(field.data or "")
        if problems:
            raise ValidationError(problems[0])
        field.parsed = parsed

    def validate_version(self, field) -> None:
        if field.data and not str(field.data).isdigit():
            raise ValidationError("The form is damaged: reload the page.")

    #: Fields kept when a session expires while writing (a file upload cannot be kept).
    STASHED = (
        "version",
        "title",
        "summary",
        "body",
        "audience",
        "chatham_house",
        "topics",
        "image_caption",
        "image_credit",
        "further_reading",
        "remove_image",
    )


class PublishForm(FlaskForm):
    """Publishing; under the Chatham House Rule, one box to tick per person the note names."""

    confirm = MultiCheckboxField("I confirm these mentions are deliberate", choices=[], validate_choice=False)


class ReviewLinkForm(FlaskForm):
    #: A double click or a resend acts once (core.forms.submit_once).
    form_key = FormKeyField()
    reviewer_name = StringField(
        "Reviewer's name",
        filters=[strip_filter],
        validators=[DataRequired("Enter the reviewer's name"), Length(max=200)],
    )
    reviewer_email = EmailField(
        "Reviewer's email address",
        filters=[strip_filter],
        validators=[
            DataRequired("Enter an email address"),
            Email("Enter an email address like name@example.org", check_deliverability=False),
            Length(max=320),
        ],
    )


class ReviewResponseForm(FlaskForm):
    decision = RadioField(
        "Your response",
        choices={"approve": "I approve this write-up", "comment": "I have comments"},
        validators=[InputRequired("Choose whether you approve or have comments")],
    )
    comment = TextAreaField("Comments", filters=[empty_to_none], validators=[Length(max=10_000)])

    def validate_comment(self, field) -> None:
        if self.decision.data == "comment" and not field.data:
            raise ValidationError("Write your comments, or choose to approve")
