"""iCalendar (RFC 5545) output: pure, typed functions from events to ``icalendar`` components.

Views decide which events a requester may see; this module only turns them into calendar data, the
same way for the one-event download, the feeds and the email invitations. Every event keeps one UID
for its whole life (``event_uid``); its SEQUENCE comes from the event, which the events services bump on
every change that matters to an attendee, so clients replace an entry rather than add a second one.

The zone, the VTIMEZONE and the serialising (``build_calendar``, ``feed_bytes``) are core.lib.ical's,
shared with the programme's meetings.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import icalendar

# The neutral building blocks live in core.lib.ical (programme meetings use them too); the names are
# re-exported here, so event code and tests keep one import.
from core.lib.ical import (  # noqa: F401
    PRODID,
    REFRESH_INTERVAL,
    STATUSES,
    CalendarSettings,
    EntryData,
    build_calendar,
    feed_bytes,
    invitation_attachment,
    vevent_from_data,
    wall_clock,
    whole_second,
)
from core.lib.markdown import markdown_to_text
from events.speakers import speaker_details

if TYPE_CHECKING:
    from events.models import Event


def event_uid(event: Event, settings: CalendarSettings) -> str:
    """The event's iCalendar UID: the same in every file, feed and email for the event's whole life."""
    return f"{event.uid}@{settings.uid_domain}"


def event_location(event: Event, *, private_details: bool = False) -> str:
    """Venue name and address; the online link only for people who may join (attendees, organisers)."""
    parts = [part.strip() for part in (event.venue_name, event.venue_address) if part and part.strip()]
    if event.online_url:
        parts.append(event.online_url if private_details else "Online")
    return ", ".join(parts)


@lru_cache(maxsize=20000)
def _plain_text(markdown: str) -> str:
    """Markdown as plain text, cached: a feed renders the same descriptions on every poll."""
    # markdown_to_text leaves HTML entities (&amp;) behind; calendars show text, not HTML.
    return html.unescape(markdown_to_text(markdown))


def event_description(event: Event, *, url: str, private_details: bool = False) -> str:
    """Plain text for DESCRIPTION and the calendar links: what, who, where to join, and the event page."""
    blocks: list[str] = []
    if event.state == "cancelled":
        reason = (event.cancellation_reason or "").strip()
        blocks.append("This event has been cancelled." + (f"\n{reason}" if reason else ""))
    if event.summary:
        blocks.append(event.summary.strip())
    if event.description:
        blocks.append(_plain_text(event.description))
    if event.speakers:
        lines = ["Speakers:"]
        # A calendar file goes to whoever holds it, so it shows speakers as to an anonymous visitor.
        lines.extend(f"- {speaker_details(speaker).text}" for speaker in event.speakers)
        blocks.append("\n".join(lines))
    if event.host:
        blocks.append(f"Hosted by {event.host.name}.")
    if event.online_url and private_details:
        blocks.append(f"Join online: {event.online_url}")
    blocks.append(f"Details and booking: {url}")
    return "\n\n".join(blocks)


def event_data(
    event: Event,
    *,
    settings: CalendarSettings,
    url: str,
    status_override: str | None = None,
    for_organiser: bool = False,
    private_details: bool = False,
    attendee: tuple[str, str] | None = None,
    stamp: datetime | None = None,
    summary_prefix: str | None = None,
) -> EntryData:
    """The plain content of an event's VEVENT.

    ``status_override`` marks a personal entry (TENTATIVE for a waitlisted place or an invitation);
    a cancelled event is CANCELLED whatever the override says. ``for_organiser`` marks drafts;
    ``summary_prefix`` says why a personal entry is tentative ("Waiting list:", "Invited:").
    ``stamp`` is DTSTAMP: the time an emailed invitation is made; feeds leave it to LAST-MODIFIED so
    that the same state always gives the same bytes (and the same ETag).
    """
    if status_override is not None and status_override not in STATUSES:
        raise ValueError(f"unknown STATUS {status_override!r}")
    tzid = settings.tzid
    zone = ZoneInfo(tzid)
    summary = event.title
    status = status_override or "CONFIRMED"
    if event.state == "cancelled":
        status = "CANCELLED"
    elif event.state == "draft":
        status = "TENTATIVE"
        if for_organiser:
            summary = f"[Draft] {summary}"
    if summary_prefix:
        summary = f"{summary_prefix} {summary}"
    modified = whole_second(event.updated_at or event.created_at)
    return EntryData(
        uid=event_uid(event, settings),
        summary=summary,
        description=event_description(event, url=url, private_details=private_details),
        location=event_location(event, private_details=private_details),
        url=url,
        tzid=tzid,
        start=wall_clock(event.starts_at, zone),
        end=wall_clock(event.ends_at, zone),
        stamp=whole_second(stamp) if stamp else modified,
        created=whole_second(event.created_at) if event.created_at else None,
        last_modified=modified,
        sequence=event.sequence or 0,
        status=status,
        organizer_email=settings.organizer_email,
        organizer_name=settings.organizer_name,
        categories=tuple(topic.name for topic in event.topics),
        transparent=status == "TENTATIVE",
        attendee=attendee,
    )


def event_to_vevent(event: Event, **options) -> icalendar.Event:
    """One event as a VEVENT; ``options`` are those of ``event_data`` (settings and url are required)."""
    return vevent_from_data(event_data(event, **options))


def ics_attachment(
    event: Event, *, settings: CalendarSettings, url: str, method: str, attendee: tuple[str, str] | None = None
) -> tuple[str, str, bytes]:
    """An emailed invitation (METHOD:REQUEST) or cancellation (METHOD:CANCEL) for ``queue_email``.

    A cancelled booking is sent as a CANCEL of the event for that attendee: their calendar removes it.
    """
    vevent = event_to_vevent(
        event,
        settings=settings,
        url=url,
        status_override="CANCELLED" if method == "CANCEL" else None,
        private_details=method == "REQUEST",
        attendee=attendee,
        stamp=datetime.now(UTC),
    )
    return invitation_attachment(vevent, event.title, tzid=settings.tzid, method=method)
