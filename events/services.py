"""Event lifecycle (create, edit, publish, cancel, duplicate) and invitations. Functions flush; the view commits.

Booking transitions live in ``events.bookings``; lifecycle changes that move bookings (a capacity change,
a cancellation) take the same per-event lock from there.
"""

from __future__ import annotations

from sqlalchemy import select, true
from sqlalchemy.exc import IntegrityError

from core.errors import ServiceError
from core.lib.wording import plural
from core.models import Tag, utcnow
from core.upsert import insert_missing
from events import notifications
from events.bookings.services import BookingError, fill_places, lock_event
from events.changes import EVENT_FIELDS, TIME_AND_PLACE, diff_event, record_change
from events.models import MESSAGE_AUDIENCES, Event, EventInvitation, EventMessage, Speaker
from extensions import db
from fellows.models import User
from fellows.services import find_or_create_organisation

# Event lifecycle ---------------------------------------------------------------------------------


def _check_event_data(data: dict) -> None:
    if data["ends_at"] <= data["starts_at"]:
        raise ServiceError("The event must end after it starts.")
    if data.get("capacity") is not None and data["capacity"] < 0:
        raise ServiceError("The capacity cannot be negative.")


def _resolve_speakers(data: dict) -> None:
    """Turn typed affiliation names into organisations, adding names the list does not have yet."""
    for row in data.get("speakers", []):
        if "organisation_name" in row:
            row["organisation"] = find_or_create_organisation(row.pop("organisation_name"))


def _build_speakers(rows: list[dict]) -> list[Speaker]:
    return [
        Speaker(
            position=i,
            honorific=row.get("honorific"),
            name=row["name"],
            role=row.get("role"),
            organisation=row.get("organisation"),
            fellow_id=row.get("fellow_id"),
        )
        for i, row in enumerate(rows)
    ]


def create_event(organiser: User, data: dict) -> Event:
    """A new draft from the organiser's form data (times already in UTC); only organisers see it."""
    _check_event_data(data)
    _resolve_speakers(data)
    event = Event(state="draft", created_by_id=organiser.id, **{field: data.get(field) for field in EVENT_FIELDS})
    event.topics = list(data.get("topics", []))
    event.speakers = _build_speakers(data.get("speakers", []))
    db.session.add(event)
    db.session.flush()
    return event


def update_event(organiser: User, event: Event, data: dict) -> dict:
    """Apply the organiser's edits; returns {field: [old, new]} for what changed.

    Changes to a published (or cancelled) event are recorded; a new time or place bumps the calendar
    SEQUENCE and tells everyone booked. Lowering the capacity below the confirmed places is refused.
    """
    _check_event_data(data)
    lock_event(event)  # a capacity change moves people off the waitlist, so bookings must be held still
    confirmed = event.count_bookings("confirmed")
    if data.get("capacity") is not None and data["capacity"] < confirmed:
        raise BookingError(
            f"The capacity cannot be lower than {confirmed}: "
            f"{plural(confirmed, 'person', 'people')} already {'has' if confirmed == 1 else 'have'} a confirmed place."
        )
    _resolve_speakers(data)
    changes = diff_event(event, data)
    if not changes:
        return {}
    for field in EVENT_FIELDS:
        if field in data:
            setattr(event, field, data[field])
    if "topics" in changes:
        event.topics = list(data["topics"])
    if "speakers" in changes:
        event.speakers.clear()
        db.session.flush()
        event.speakers.extend(_build_speakers(data["speakers"]))
    time_or_place = sorted(TIME_AND_PLACE & changes.keys())
    if time_or_place:
        event.sequence += 1
    if event.state != "draft":
        record_change(event, organiser, changes)
    db.session.flush()
    if time_or_place and event.state == "published" and event.ends_at > utcnow():
        notifications.event_changed(event, time_or_place)
    if "capacity" in changes:
        fill_places(event, organiser)
    return changes


def publish_event(organiser: User, event: Event) -> None:
    """Make a draft visible to its audience and open for booking; invitees and interested fellows are emailed."""
    if event.state != "draft":
        raise ServiceError("Only a draft can be published.")
    event.state = "published"
    event.published_at = utcnow()
    record_change(event, organiser, {"state": ["draft", "published"]}, "Published")
    db.session.flush()
    # Fellows invited while it was a draft hear now; opted-in fellows with a matching interest are told.
    notifications.event_invitations(event.invitations)
    notifications.announce_event(event)


def cancel_event(organiser: User, event: Event, reason: str) -> None:
    """Cancel a published event: its page shows the reason, bookings are kept, everyone booked is told."""
    lock_event(event)  # nobody may book while the event is being cancelled
    if event.state != "published":
        raise ServiceError("Only a published event can be cancelled.")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Give a reason: it is shown on the event page and in the email to attendees.")
    event.state = "cancelled"
    event.cancellation_reason = reason
    event.sequence += 1
    record_change(event, organiser, {"state": ["published", "cancelled"]}, f"Cancelled: {reason}"[:300])
    db.session.flush()
    notifications.event_cancelled(event)


def delete_draft(organiser: User, event: Event) -> None:
    """Delete a draft nobody else has seen (published events are cancelled instead, keeping their record)."""
    if event.state != "draft":
        raise ServiceError("Only drafts can be deleted; cancel a published event instead.")
    db.session.delete(event)
    db.session.flush()


def duplicate_event(organiser: User, event: Event) -> Event:
    """A new draft with the same details, speakers and topics (e.g. the next lunch in a series)."""
    copy = Event(state="draft", created_by_id=organiser.id, **{field: getattr(event, field) for field in EVENT_FIELDS})
    copy.topics = list(event.topics)
    copy.speakers = [
        Speaker(
            position=s.position,
            honorific=s.honorific,
            name=s.name,
            role=s.role,
            organisation_id=s.organisation_id,
            fellow_id=s.fellow_id,
        )
        for s in event.speakers
    ]
    db.session.add(copy)
    db.session.flush()
    return copy


# Invitations -------------------------------------------------------------------------------------


def invite_fellows(organiser: User, event: Event, fellows: list[User]) -> int:
    """Invite fellows to an invitation-only event and email the newly invited; returns how many they are."""
    if event.audience != "invitation":
        raise ServiceError("Invitations are for invitation-only events: change the event's audience first.")
    if event.state == "cancelled":
        raise ServiceError("This event has been cancelled.")
    # One statement that skips whoever is invited already, even by another tab a moment ago.
    db.session.flush()
    rows = [
        {"event_id": event.id, "user_id": user_id, "invited_by_id": organiser.id}
        for user_id in dict.fromkeys(fellow.id for fellow in fellows if fellow.role == "fellow")
    ]
    invited = select(EventInvitation.user_id).where(EventInvitation.event_id == event.id)
    before = set(db.session.scalars(invited))
    insert_missing(EventInvitation, rows)
    db.session.expire(event, ["invitations"])
    # Read back, not taken from the driver's rowcount, which not every driver reports for this statement.
    added = db.session.scalars(
        select(EventInvitation).where(
            EventInvitation.event_id == event.id, EventInvitation.user_id.not_in(before) if before else true()
        )
    ).all()
    # Each newly invited fellow is emailed (once per invitation: a dedupe key, should another tab race this one).
    notifications.event_invitations(added)
    return len(added)


def invite_by_interest(organiser: User, event: Event, tag: Tag) -> int:
    """Invite every current, active fellow who lists ``tag`` among their interests."""
    fellows = db.session.scalars(
        select(User).where(
            User.role == "fellow",
            User.active.is_(True),
            User.fellow_status == "current",
            User.interests.any(Tag.id == tag.id),
        )
    ).all()
    return invite_fellows(organiser, event, list(fellows))


def withdraw_invitation(organiser: User, invitation: EventInvitation) -> None:
    """Take back an invitation; a place already booked is kept (remove the booking separately)."""
    db.session.delete(invitation)
    db.session.flush()


# Messages to an event's bookers ------------------------------------------------------------------


def send_event_message(
    organiser: User, event: Event, *, audience: str, subject: str, body: str, send_token: str
) -> EventMessage | None:
    """Email an organiser's message to the event's confirmed, waitlisted or all bookers and record it.

    ``send_token`` comes from the preview: a second submit of the same preview (a double click, another
    tab) finds the message already recorded and returns None, sending nothing more.
    """
    if audience not in MESSAGE_AUDIENCES:
        raise ServiceError("Choose who the message goes to.")
    if not subject.strip() or not body.strip():
        raise ServiceError("Write a subject and a message.")
    if db.session.scalar(select(EventMessage.id).where(EventMessage.send_token == send_token)) is not None:
        return None
    recipients = notifications.message_recipients(event, audience)
    if not recipients:
        raise ServiceError("Nobody would receive this message: no one is booked in that list.")
    message = EventMessage(
        event=event,
        sent_by=organiser,
        sent_at=utcnow(),
        audience=audience,
        subject=" ".join(subject.split()),
        body=body.strip(),
        send_token=send_token,
        recipient_count=0,
    )
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:  # the same preview, sent by another request a moment ago
        return None
    message.recipient_count = notifications.event_message(message, recipients)
    db.session.flush()
    return message
