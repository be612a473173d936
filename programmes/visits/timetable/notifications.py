"""Emails about a meeting: the expert and the fellow each get the change with an ``.ics``:
METHOD:REQUEST for a new or moved meeting (its SEQUENCE rises with each move, its UID never changes),
METHOD:CANCEL for one taken off the timetable."""

from __future__ import annotations

from datetime import UTC, datetime

from core.lib.ical import invitation_attachment, vevent_from_data
from core.mail import queue_email
from core.urls import external_url
from extensions import db
from programmes.models import Meeting, PolicyQuestion
from programmes.visits.timetable.queries import meeting_entry


def _attachment(meeting: Meeting, method: str, attendee: tuple[str, str]) -> tuple[str, str, bytes]:
    url = external_url("programmes.itinerary", visit_id=meeting.programme_id)
    entry = meeting_entry(
        meeting,
        url=url,
        attendee=attendee,
        status="CANCELLED" if method == "CANCEL" else "CONFIRMED",
        stamp=datetime.now(UTC),
    )
    return invitation_attachment(vevent_from_data(entry), entry.summary, tzid=entry.tzid, method=method)


def notify(meeting: Meeting, method: str, *, change: str) -> None:
    """Email the expert and the fellow about a new, moved or cancelled meeting, each with an .ics."""
    expert, fellow = meeting.expert, meeting.programme.fellow
    question = (
        db.session.get(PolicyQuestion, meeting.invitation.question_id) if meeting.invitation.question_id else None
    )
    context = {"meeting": meeting, "fellow": fellow, "expert": expert, "question": question, "change": change}
    subjects = {
        "new": "Your meeting with {other} is confirmed",
        "moved": "Your meeting with {other} has moved",
        "cancelled": "Your meeting with {other} is cancelled",
    }
    if expert is not None and not expert.do_not_contact:
        queue_email(
            expert.email,
            subjects[change].format(other=fellow.display_name),
            "meeting_changed",
            kind=f"meeting_{change}",
            attachment=_attachment(meeting, method, (expert.email, expert.name)),
            recipient=expert.name,
            **context,
        )
    queue_email(
        fellow.email,
        subjects[change].format(other=expert.name if expert else "an expert"),
        "meeting_changed",
        kind=f"meeting_{change}",
        user_id=fellow.id,
        attachment=_attachment(meeting, method, (fellow.email, fellow.display_name)),
        recipient=fellow.display_name,
        itinerary=external_url("programmes.itinerary", visit_id=meeting.programme_id),
        **context,
    )
