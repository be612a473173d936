"""Who may read and who may edit a write-up: one rule, used by the list, the page, search, the feed,
the event page and the publication emails alike.

- Organisers see every note in every state.
- Readers see only published notes of events that are themselves visible (published or cancelled),
  or of a subject that is not an event (a fellow's visit programme):
  public → everyone; fellows → anyone signed in; attendees → fellows with a confirmed booking for
  the event, unless an organiser recorded them as a no-show (they were not in the room whose
  discussion the note records). Unrecorded attendance counts as attended. A write-up of a subject
  has no attendees, so it is never for attendees only.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, or_, select, true

from core.permissions import is_organiser
from events.models import Booking, Event
from extensions import db
from writeups.models import Note

#: Event states whose write-ups readers may see (a draft event is not public knowledge yet).
READABLE_EVENT_STATES = ("published", "cancelled")


def _attended(event_id, user_id: int) -> ColumnElement[bool]:
    """A confirmed booking of ``user_id`` for the event, not marked as a no-show."""
    return exists(
        select(Booking.id).where(
            Booking.event_id == event_id,
            Booking.user_id == user_id,
            Booking.state == "confirmed",
            or_(Booking.attendance.is_(None), Booking.attendance != "no_show"),
        )
    )


def is_attendee(user, event_id: int) -> bool:
    """A confirmed booking for the event, not marked as a no-show."""
    if not (user and user.is_authenticated):
        return False
    return bool(db.session.scalar(select(_attended(event_id, user.id))))


def can_edit_note(user, note: Note | None = None) -> bool:
    """Organisers write, edit, review and publish write-ups."""
    return is_organiser(user)


def can_view_note(user, note: Note) -> bool:
    """Whether ``user`` (anonymous, fellow or organiser) may read ``note`` as it is now."""
    if is_organiser(user):
        return True
    if note.state != "published" or (note.event is not None and note.event.state not in READABLE_EVENT_STATES):
        return False
    if note.audience == "public":
        return True
    if not (user and user.is_authenticated):
        return False
    if note.audience == "fellows":
        return True
    return note.event_id is not None and is_attendee(user, note.event_id)


def visible_notes_clause(user) -> ColumnElement[bool]:
    """The same rule as ``can_view_note`` as a WHERE clause on Note, for lists, search and counts.

    The query must (outer-)join Note.event (the event state is part of the rule).
    """
    if is_organiser(user):
        return true()
    readable = and_(Note.state == "published", or_(Note.event_id.is_(None), Event.state.in_(READABLE_EVENT_STATES)))
    if not (user and user.is_authenticated):
        return and_(readable, Note.audience == "public")
    return and_(
        readable,
        or_(
            Note.audience.in_(("public", "fellows")),
            and_(Note.audience == "attendees", _attended(Note.event_id, user.id)),
        ),
    )


def published_notes_clause(user) -> ColumnElement[bool]:
    """What readers' pages list: published notes the viewer may see (organisers included: drafts
    belong on the organisers' pages, not in the reading list)."""
    if not is_organiser(user):
        return visible_notes_clause(user)
    return Note.state == "published"


def public_feed_clause() -> ColumnElement[bool]:
    """The Atom feed is for everyone, so it carries exactly what an anonymous reader may see."""
    return visible_notes_clause(None)
