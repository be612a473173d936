"""What event pages show beyond the models: booking numbers for a whole page at once, the speakers as
one viewer may see them, schema.org JSON-LD, and where an organisation's name links to."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for
from flask_login import current_user
from sqlalchemy import func, select

from core.lib.markdown import markdown_to_text
from core.permissions import can_view_profile
from core.timeutil import to_local
from events.models import Booking, Event
from events.speakers import SpeakerDetails, speaker_details
from extensions import db
from fellows.models import Organisation


@dataclass(frozen=True)
class EventStats:
    confirmed: int
    waitlisted: int
    capacity: int | None

    @property
    def places_left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.confirmed, 0)

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.confirmed >= self.capacity


def booking_stats(events: list[Event]) -> dict[int, EventStats]:
    """Confirmed and waitlisted counts for many events in ONE grouped query (never one per event)."""
    if not events:
        return {}
    counts: dict[tuple[int, str], int] = {}
    rows = db.session.execute(
        select(Booking.event_id, Booking.state, func.count(Booking.id))
        .where(Booking.event_id.in_([event.id for event in events]), Booking.state.in_(("confirmed", "waitlisted")))
        .group_by(Booking.event_id, Booking.state)
    )
    for event_id, state, number in rows:
        counts[(event_id, state)] = number
    return {
        event.id: EventStats(
            counts.get((event.id, "confirmed"), 0), counts.get((event.id, "waitlisted"), 0), event.capacity
        )
        for event in events
    }


def booking_count_columns():
    """Confirmed and waitlisted counts of each ``Event`` row of a query, as two correlated subquery
    columns: a list of events and its numbers come in one query (``stats_from_row`` reads them)."""

    def count(state: str):
        return (
            select(func.count(Booking.id))
            .where(Booking.event_id == Event.id, Booking.state == state)
            .correlate(Event)
            .scalar_subquery()
        )

    return count("confirmed").label("confirmed"), count("waitlisted").label("waitlisted")


def stats_from_row(event: Event, confirmed: int | None, waitlisted: int | None) -> EventStats:
    """The ``EventStats`` of an event loaded with ``booking_count_columns``."""
    return EventStats(confirmed or 0, waitlisted or 0, event.capacity)


def speakers_for(event: Event, viewer) -> list[SpeakerDetails]:
    """The event's speakers as ``viewer`` may see them (the rule is in ``events.speakers``)."""
    return [
        speaker_details(
            speaker,
            profile_visible=speaker.fellow is not None
            and speaker.fellow.role == "fellow"
            and can_view_profile(viewer, speaker.fellow),
        )
        for speaker in event.speakers
    ]


def organisation_url(organisation: Organisation | None) -> str | None:
    """The organisation's page for signed-in people (it is not public), else its website; None: no link."""
    if organisation is None:
        return None
    if current_user.is_authenticated and "organisations.detail" in current_app.view_functions:
        return url_for("organisations.detail", org_id=organisation.id)
    return organisation.website or None


def _organisation_ld(organisation: Organisation) -> dict:
    data = {"@type": "Organization", "name": organisation.name}
    if organisation.website:
        data["url"] = organisation.website
    return data


def _performer_ld(speaker: SpeakerDetails) -> dict:
    data = {"@type": "Person", "name": speaker.name}
    if speaker.role:
        data["jobTitle"] = speaker.role
    if speaker.organisation:
        data["affiliation"] = _organisation_ld(speaker.organisation)
    if speaker.profile_id is not None:
        data["url"] = url_for("fellows.profile", user_id=speaker.profile_id, _external=True)
    return data


def event_json_ld(event: Event, url: str, speakers: list[SpeakerDetails]) -> dict:
    """schema.org ``Event`` for search engines and other tools (rendered with ``|tojson``); ``speakers``
    as the viewer may see them (``speakers_for``)."""
    physical = bool(event.venue_name or event.venue_address)
    if physical and event.online_url:
        mode = "MixedEventAttendanceMode"
    elif event.online_url:
        mode = "OnlineEventAttendanceMode"
    else:
        mode = "OfflineEventAttendanceMode"
    locations = []
    if physical:
        locations.append(
            {
                "@type": "Place",
                "name": event.venue_name or event.venue_address,
                "address": event.venue_address or event.venue_name,
            }
        )
    if event.online_url:
        # The joining link itself is only for people with a place; the page stands in for it.
        locations.append({"@type": "VirtualLocation", "url": url})
    description = event.summary or markdown_to_text(event.description or "")[:500]
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "url": url,
        "startDate": to_local(event.starts_at).isoformat(),
        "endDate": to_local(event.ends_at).isoformat(),
        "eventStatus": "https://schema.org/EventCancelled"
        if event.is_cancelled
        else "https://schema.org/EventScheduled",
        "eventAttendanceMode": f"https://schema.org/{mode}",
        "organizer": _organisation_ld(event.host)
        if event.host
        else {"@type": "Organization", "name": current_app.config["APP_NAME"]},
        "performer": [_performer_ld(speaker) for speaker in speakers],
    }
    if description:
        data["description"] = description
    if locations:
        data["location"] = locations[0] if len(locations) == 1 else locations
    if event.capacity is not None:
        data["maximumAttendeeCapacity"] = event.capacity
    if event.topics:
        data["keywords"] = ", ".join(tag.name for tag in event.topics)
    return data
