"""What organisers and reviewers do with write-ups: write, save (with revisions and an optimistic
lock), review, publish under the Chatham House check, and tell attendees.

Functions take the acting user, change models and flush; the view commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import urlparse

from sqlalchemy import func, or_, select
from sqlalchemy.orm.exc import StaleDataError

from core.errors import ServiceError
from core.images import process_image
from core.mail import queue_email, queue_once
from core.models import StoredImage, Tag, utcnow
from core.search import contains_text
from core.urls import external_url
from events.models import Booking, Event
from extensions import db
from fellows.models import User
from fellows.unsubscribe import unsubscribe_link
from programmes.models import PolicyQuestion, VisitProgramme
from writeups.access import can_view_note
from writeups.chatham import Mention, find_chatham_house_mentions
from writeups.models import (
    NOTE_AUDIENCES,
    ChathamHouseConfirmation,
    Note,
    NoteDraftStash,
    NoteLink,
    NoteRevision,
)
from writeups.subjects import describer


class NoteError(ServiceError):
    """A request the workflow refuses; the message is safe to show to the organiser."""


class NoteConflict(NoteError):
    """Somebody else saved the note after this editor opened it."""

    def __init__(self, note: Note):
        who = note.updated_by.display_name if note.updated_by else "Another organiser"
        super().__init__(
            f"{who} saved this note while you were editing it, so your changes were not saved. "
            "Your text is below: compare it with the current version, then save again."
        )
        self.note = note


class ChathamHouseMentions(NoteError):
    """Publishing would attribute: the note names people the organiser has not confirmed."""

    def __init__(self, mentions: list[Mention]):
        super().__init__(" ".join(m.message for m in mentions))
        self.mentions = mentions


@dataclass
class NoteContent:
    """What an organiser writes: everything in the edit form except the image upload."""

    title: str
    summary: str = ""
    body: str = ""
    audience: str = "fellows"
    chatham_house: bool = False
    topics: list[Tag] = field(default_factory=list)
    image_caption: str | None = None
    image_credit: str | None = None
    #: [{"title": ..., "url": ...}]
    links: list[dict] = field(default_factory=list)


def _check_content(content: NoteContent) -> None:
    if not content.title.strip():
        raise NoteError("A note needs a title.")
    if content.audience not in NOTE_AUDIENCES:
        raise NoteError("Choose who may read the note.")
    for link in content.links:
        parsed = urlparse(link["url"])
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise NoteError(f"Further-reading links must be web addresses (https://…), not {link['url']!r}.")


def _check_audience(note: Note, content: NoteContent) -> None:
    if content.audience == "attendees" and note.event_id is None and note.event is None:
        raise NoteError("“Attendees only” is for write-ups of events: choose Public or Fellows.")


def _apply_content(note: Note, content: NoteContent, user: User) -> None:
    # No autoflush: loading the old topics and links midway would UPDATE (and bump the version) twice.
    with db.session.no_autoflush:
        _set_fields(note, content, user)


def _set_fields(note: Note, content: NoteContent, user: User) -> None:
    note.title = content.title.strip()
    note.summary = content.summary.strip()
    note.body = content.body
    note.audience = content.audience
    note.chatham_house = content.chatham_house
    note.topics = list(content.topics)
    note.image_caption = content.image_caption or None
    note.image_credit = content.image_credit or None
    note.links = [
        NoteLink(position=i, title=link["title"].strip() or link["url"], url=link["url"].strip())
        for i, link in enumerate(content.links)
    ]
    note.updated_by = user
    note.updated_at = utcnow()


def store_image(image_data: bytes) -> StoredImage:
    """Check, resize and store an uploaded lead image; raises ImageRejected."""
    image = process_image(image_data, max_size=1200)
    db.session.add(image)
    db.session.flush()
    return image


def _apply_image(note: Note, image: StoredImage | None, image_data: bytes | None, remove_image: bool) -> None:
    # Old images are kept (revisions point at them), so restoring a revision brings its picture back.
    if image_data:
        image = store_image(image_data)
    if image is not None:
        note.image = image
    elif remove_image:
        note.image = None


def record_revision(note: Note, user: User | None, reason: str) -> NoteRevision:
    """Snapshot the note as it now stands (after the save that ``reason`` describes)."""
    db.session.flush()  # the snapshot needs the note's id and image_id as they will be stored
    number = (db.session.scalar(select(func.max(NoteRevision.number)).where(NoteRevision.note_id == note.id)) or 0) + 1
    revision = NoteRevision(
        note_id=note.id,
        number=number,
        title=note.title,
        summary=note.summary,
        body=note.body,
        audience=note.audience,
        chatham_house=note.chatham_house,
        image_id=note.image_id,
        image_caption=note.image_caption,
        image_credit=note.image_credit,
        links=[{"title": link.title, "url": link.url} for link in note.links],
        topics=[tag.name for tag in note.topics],
        reason=reason,
        created_by=user,
        created_at=utcnow(),
    )
    db.session.add(revision)
    db.session.flush()
    return revision


def create_note(
    event: Event,
    user: User,
    content: NoteContent,
    image_data: bytes | None = None,
    image: StoredImage | None = None,
) -> Note:
    """Start a write-up of ``event`` as a draft, with a lead image given as an upload or already stored;
    raises NoteError or ImageRejected."""
    _check_content(content)
    note = Note(event=event, state="draft", created_by=user, created_at=utcnow())
    _check_audience(note, content)
    _apply_content(note, content, user)
    _apply_image(note, image, image_data, remove_image=False)
    db.session.add(note)
    db.session.flush()
    record_revision(note, user, "Created")
    return note


def create_subject_note(kind: str, subject_id: int, user: User) -> Note:
    """Start a write-up of something that is not an event (a fellow's visit programme, say) as a draft,
    from the text its area suggests, under the Chatham House Rule and for fellows: the organiser edits
    it, and it goes through review and publication like any other note. Raises NoteError."""
    describe = describer(kind)
    subject = describe([subject_id]).get(subject_id) if describe else None
    if subject is None:
        raise NoteError("There is nothing to write up there: it may have been deleted.")
    title, summary, body = subject.draft()
    content = NoteContent(title=title, summary=summary, body=body, audience="fellows", chatham_house=True)
    _check_content(content)
    note = Note(subject_kind=kind, subject_id=subject_id, state="draft", created_by=user, created_at=utcnow())
    _apply_content(note, content, user)
    db.session.add(note)
    db.session.flush()
    record_revision(note, user, "Created")
    return note


def _as_saved(content: NoteContent) -> tuple:
    """The content as _set_fields would store it, comparable with _stored(note)."""
    return (
        content.title.strip(),
        content.summary.strip(),
        content.body,
        content.audience,
        bool(content.chatham_house),
        sorted(tag.id for tag in content.topics),
        content.image_caption or None,
        content.image_credit or None,
        [(link["title"].strip() or link["url"], link["url"].strip()) for link in content.links],
    )


def _stored(note: Note) -> tuple:
    return (
        note.title,
        note.summary,
        note.body,
        note.audience,
        note.chatham_house,
        sorted(tag.id for tag in note.topics),
        note.image_caption,
        note.image_credit,
        [(link.title, link.url) for link in note.links],
    )


def save_note(
    note: Note,
    user: User,
    content: NoteContent,
    expected_version: int | None,
    image_data: bytes | None = None,
    remove_image: bool = False,
    image: StoredImage | None = None,
) -> bool:
    """Save an edit made to version ``expected_version``; a stale version raises NoteConflict.

    Returns False, changing nothing (no revision, no new version), when the edit changes nothing.
    The explicit check catches the common case (the form was opened before someone else saved);
    the version column in the UPDATE's WHERE clause catches two saves racing each other.
    """
    if expected_version != note.version:
        raise NoteConflict(note)
    _check_content(content)
    _check_audience(note, content)
    image_changes = bool(image_data) or image is not None or (remove_image and note.image_id is not None)
    if not image_changes and _as_saved(content) == _stored(note):
        return False
    _apply_content(note, content, user)
    _apply_image(note, image, image_data, remove_image)
    try:
        db.session.flush()  # UPDATE … WHERE version = <the version loaded>
    except StaleDataError:
        db.session.rollback()
        raise NoteConflict(db.session.get(Note, note.id)) from None
    record_revision(note, user, "Saved")
    return True


def restore_revision(note: Note, revision: NoteRevision, user: User) -> NoteRevision:
    """Bring back an earlier version; the restored text becomes a new revision (nothing is lost)."""
    if revision.note_id != note.id:
        raise NoteError("That revision belongs to another note.")
    tags = db.session.scalars(select(Tag).where(Tag.name.in_(revision.topics or []))).all()
    content = NoteContent(
        title=revision.title,
        summary=revision.summary,
        body=revision.body,
        audience=revision.audience,
        chatham_house=revision.chatham_house,
        topics=sorted(tags, key=lambda t: t.name),
        image_caption=revision.image_caption,
        image_credit=revision.image_credit,
        links=list(revision.links or []),
    )
    image = db.session.get(StoredImage, revision.image_id) if revision.image_id else None
    _apply_content(note, content, user)
    note.image = image
    return record_revision(note, user, f"Restored revision {revision.number}")


# --- Workflow -----------------------------------------------------------------------------------


def submit_for_review(note: Note, user: User) -> None:
    """Draft (or unpublished) → in review: review links can now be sent."""
    if note.state not in ("draft", "unpublished"):
        raise NoteError(f"A note that is {note.state_label.lower()} cannot be sent for review.")
    note.state = "in_review"
    note.updated_by = user
    note.updated_at = utcnow()
    db.session.flush()


def publish_note(note: Note, user: User, confirmed: set[str] | frozenset[str] = frozenset()) -> int:
    """Publish the note; returns how many attendees were told.

    Under the Chatham House Rule every person the text names must be in ``confirmed`` (their
    mention keys), otherwise ChathamHouseMentions is raised and nothing changes.
    """
    if note.state == "published":
        raise NoteError("The note is already published.")
    if note.event is not None and note.event.state == "draft":
        raise NoteError("Publish the event before its write-up: readers cannot see a draft event.")
    if note.chatham_house:
        mentions = find_chatham_house_mentions(note)
        unconfirmed = [m for m in mentions if m.key not in confirmed]
        if unconfirmed:
            raise ChathamHouseMentions(unconfirmed)
        for mention in mentions:
            db.session.add(
                ChathamHouseConfirmation(
                    note_id=note.id,
                    mention="; ".join(text for text, _ in mention.spellings)[:300],
                    person=mention.label[:300],
                    person_key=mention.key,
                    confirmed_by=user,
                    confirmed_at=utcnow(),
                )
            )
    note.state = "published"
    note.published_at = note.published_at or utcnow()
    note.updated_by = user
    note.updated_at = utcnow()
    db.session.flush()
    return notify_attendees(note)


def unpublish_note(note: Note, user: User) -> None:
    """Take a published note down (readers get 404); it can be published again."""
    if note.state != "published":
        raise NoteError("Only a published note can be unpublished.")
    note.state = "unpublished"
    note.updated_by = user
    note.updated_at = utcnow()
    db.session.flush()


def notify_attendees(note: Note) -> int:
    """Queue "write-up published" emails to the event's attendees who may read the note and want
    to hear; each person is told once per note however often it is republished. A write-up of
    something other than an event has no attendees to tell."""
    if note.event_id is None:
        return 0
    bookings = db.session.scalars(
        select(Booking)
        .join(Booking.user)
        .where(
            Booking.event_id == note.event_id,
            Booking.state == "confirmed",
            (Booking.attendance.is_(None)) | (Booking.attendance != "no_show"),
            User.active.is_(True),
            User.notify_writeups.is_(True),
        )
        .order_by(Booking.id)
    ).all()
    link = external_url("notes.detail", note_id=note.id)

    def queue(key: str, user) -> None:
        queue_email(
            user.email,
            f"Write-up published: {note.title}",
            "writeup_published",
            kind="writeup_published",
            user_id=user.id,
            dedupe_key=key,
            user=user,
            note=note,
            event=note.event,
            link=link,
            account_link=external_url("auth.account"),
            secrets={"unsubscribe_link": unsubscribe_link(user, "writeups")},
        )

    queued = queue_once(
        {
            f"writeup_published:{note.id}:{b.user_id}": partial(queue, user=b.user)
            for b in bookings
            if can_view_note(b.user, note)
        }
    )
    db.session.flush()
    return queued


#: How a deleted person reads in the write-ups that stay, and what stands for their policy questions.
FORMER_FELLOW = "a former fellow"
ERASED_QUESTION = "[a question of a former fellow]"


def _replace_all(text: str | None, replacements: list[tuple[str, str]]) -> str | None:
    for old, new in replacements:
        if text:
            text = re.sub(re.escape(old), new, text, flags=re.IGNORECASE)
    return text


def erase_person(user: User) -> None:
    """Account deletion: write-ups of the fellow's visits go, drafts and published alike, with their
    revisions (they are about her programme and quote her questions); in every other write-up, revision
    and kept draft, her name and address read "a former fellow" and her policy questions are taken out.
    Runs before the programme's eraser, while her visits and questions are still there to be found."""
    visits = select(VisitProgramme.id).where(VisitProgramme.fellow_id == user.id)
    for note in db.session.scalars(select(Note).where(Note.subject_kind == "visit", Note.subject_id.in_(visits))):
        db.session.delete(note)
    db.session.flush()
    questions = db.session.scalars(select(PolicyQuestion.question).where(PolicyQuestion.fellow_id == user.id))
    names = sorted({user.name, user.display_name, user.email}, key=len, reverse=True)
    replacements = [(question, ERASED_QUESTION) for question in questions if len(question.strip()) >= 3]
    replacements += [(name, FORMER_FELLOW) for name in names if name and len(name.strip()) >= 3]
    if not replacements:
        return
    for model in (Note, NoteRevision):
        fields = (model.title, model.summary, model.body)
        mentioning = or_(*(contains_text(field, old) for old, _ in replacements for field in fields))
        for row in db.session.scalars(select(model).where(mentioning)):
            row.title = _replace_all(row.title, replacements)
            row.summary = _replace_all(row.summary, replacements)
            row.body = _replace_all(row.body, replacements)
    for stash in db.session.scalars(select(NoteDraftStash)):  # kept a day at most: few rows
        stash.data = {
            key: _replace_all(value, replacements) if isinstance(value, str) else value
            for key, value in (stash.data or {}).items()
        }
    db.session.flush()
