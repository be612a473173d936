"""The main pages measured at every size: who asks for them, and whether a signed-in session is needed."""

from __future__ import annotations

from dataclasses import dataclass

from bench.scale import Scaled


@dataclass(frozen=True)
class Page:
    key: str
    name: str
    path: str
    #: None (no session: anonymous, or a calendar client with a feed's secret URL), "fellow" or "organiser".
    who: str | None

    @property
    def signed_in(self) -> bool:
        return self.who is not None


def pages(scaled: Scaled) -> list[Page]:
    big = scaled.big_event_id
    return [
        Page("home_anon", "home (anonymous)", "/", None),
        Page("home_fellow", "home (fellow)", "/", "fellow"),
        Page("home_organiser", "home (organiser)", "/", "organiser"),
        # The fixed cost of any signed-in page (session, user, navigation, CSRF token), with no data of its own.
        Page("privacy_fellow", "privacy notice (fellow: no data of its own)", "/privacy", "fellow"),
        Page("events", "events list", "/events", None),
        Page("events_past", "past events", "/events?when=past", None),
        Page("event", "event page (big event)", f"/events/{big}", None),
        Page("attendees", "attendee list (big event)", f"/organiser/events/{big}/attendees", "organiser"),
        Page("checkin", "check-in (big event)", f"/organiser/events/{big}/check-in", "organiser"),
        Page("directory", "directory", "/fellows", "fellow"),
        Page("search", "directory search ?q=hart", "/fellows?q=hart", "fellow"),
        Page("profile", "a profile", f"/fellows/{scaled.public_profile_id}", "fellow"),
        Page("notes", "notes list", "/notes", None),
        Page("note", "a note", f"/notes/{scaled.public_note_id}", None),
        Page("my_bookings", "My bookings (heavy fellow)", "/my/bookings", "fellow"),
        Page("feed_public", "public feed .ics", "/calendar.ics", None),
        Page("feed_personal", "personal feed .ics (heavy fellow)", f"/calendar/{scaled.fellow_feed_token}.ics", None),
        Page("feed_organiser", "organiser all-events .ics", f"/calendar/{scaled.organiser_feed_token}.ics", None),
        Page("atom", "Atom feed of write-ups", "/notes/feed.atom", None),
        Page("visit", "a visit page (organiser)", f"/organiser/visits/{scaled.visit_id}", "organiser"),
        Page("dashboard", "programme dashboard", "/organiser/programme-dashboard", "organiser"),
        Page("itinerary", "an itinerary", f"/programme/visits/{scaled.itinerary_visit_id}", "organiser"),
    ]


#: The pages whose server time is measured at every size (the growth table and plot).
GROWTH = ["events", "directory", "notes", "attendees", "feed_public"]
