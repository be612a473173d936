"""Reading a visit's meetings: in order for the timetable and itinerary, and as calendar entries (the
fellow's personal feed, and the ``.ics`` each email carries)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.ical_settings import calendar_settings
from core.lib.ical import EntryData, wall_clock, whole_second
from core.models import utcnow
from core.timeutil import local_zone
from core.urls import external_url
from extensions import db
from programmes.models import Expert, ExpertInvitation, ItineraryVersion, Meeting, VisitProgramme


def meetings_of(visit: VisitProgramme) -> list[Meeting]:
    return list(
        db.session.scalars(
            select(Meeting)
            .where(Meeting.programme_id == visit.id)
            .options(
                selectinload(Meeting.invitation).selectinload(ExpertInvitation.expert).selectinload(Expert.topics),
                selectinload(Meeting.invitation).selectinload(ExpertInvitation.question),
            )
            .order_by(Meeting.starts_at)
        )
    )


def changelog_of(visit: VisitProgramme) -> list[ItineraryVersion]:
    """The itinerary's versions, newest first, each with its lines (two statements however many)."""
    return list(
        db.session.scalars(
            select(ItineraryVersion)
            .where(ItineraryVersion.programme_id == visit.id)
            .options(selectinload(ItineraryVersion.lines))
            .order_by(ItineraryVersion.number.desc())
        )
    )


def meeting_entry(
    meeting: Meeting,
    *,
    url: str,
    attendee: tuple[str, str] | None = None,
    status: str = "CONFIRMED",
    stamp: datetime | None = None,
) -> EntryData:
    """The meeting as calendar entry data (core.lib.ical), in the configured zone, with its fixed UID.

    ``stamp`` (DTSTAMP) is when an emailed invitation is made; a feed leaves it to LAST-MODIFIED so the
    same state always gives the same bytes."""
    settings = calendar_settings()
    zone = local_zone()
    expert = meeting.expert
    fellow = meeting.programme.fellow
    question = meeting.invitation.question
    who = expert.name if expert else "An expert"
    lines = [
        f"{fellow.display_name} meets {who}" + (f" ({expert.affiliation})" if expert and expert.affiliation else "")
    ]
    if question is not None:
        lines.append(f"Question: {question.question}")
    lines.append("Online: the organisers will send the link." if meeting.place is None else f"Where: {meeting.place}")
    lines.append(url)
    modified = whole_second(meeting.updated_at or meeting.created_at or utcnow())
    return EntryData(
        uid=f"{meeting.uid_stem}@{settings.uid_domain}",
        summary=f"Fellowship meeting: {fellow.display_name} and {who}",
        description="\n\n".join(lines),
        location=meeting.place or "Online",
        url=url,
        tzid=settings.tzid,
        start=wall_clock(meeting.starts_at, zone),
        end=wall_clock(meeting.ends_at, zone),
        stamp=whole_second(stamp) if stamp else modified,
        created=whole_second(meeting.created_at) if meeting.created_at else None,
        last_modified=modified,
        sequence=meeting.sequence,
        status=status,
        organizer_email=settings.organizer_email,
        organizer_name=settings.organizer_name,
        attendee=attendee,
    )


#: Meetings older than this leave the fellow's calendar feed (as past bookings do).
FEED_PAST = timedelta(days=365)


def _feed_query(user, now: datetime):
    return (
        select(Meeting)
        .join(VisitProgramme, VisitProgramme.id == Meeting.programme_id)
        .where(VisitProgramme.fellow_id == user.id, Meeting.starts_at >= now - FEED_PAST)
    )


def feed_fingerprint(user, now: datetime) -> tuple[list[tuple], datetime | None]:
    """What the fellow's meetings in their feed depend on (for its ETag), and when they last changed."""
    if not (user.is_authenticated and user.role == "fellow"):
        return [], None
    rows = db.session.execute(
        _feed_query(user, now)
        .outerjoin(ExpertInvitation, ExpertInvitation.id == Meeting.invitation_id)
        .outerjoin(Expert, Expert.id == ExpertInvitation.expert_id)
        .with_only_columns(
            Meeting.id,
            Meeting.sequence,
            Meeting.starts_at,
            Meeting.ends_at,
            Meeting.place,
            Meeting.updated_at,
            Expert.id,
            Expert.updated_at,
        )
        .order_by(Meeting.id)
    ).all()
    return [tuple(row) for row in rows], max((row[5] for row in rows), default=None)


def feed_entries(user, now: datetime) -> list[EntryData]:
    """The fellow's meetings as entries of their personal calendar feed."""
    if not (user.is_authenticated and user.role == "fellow"):
        return []
    meetings = db.session.scalars(
        _feed_query(user, now)
        .options(
            selectinload(Meeting.programme),
            selectinload(Meeting.invitation).selectinload(ExpertInvitation.expert),
            selectinload(Meeting.invitation).selectinload(ExpertInvitation.question),
        )
        .order_by(Meeting.starts_at)
    ).all()
    return [
        meeting_entry(meeting, url=external_url("programmes.itinerary", visit_id=meeting.programme_id))
        for meeting in meetings
    ]
