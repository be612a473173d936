"""What an event says about each of its speakers: the one rule used by the event page, its schema.org
JSON-LD and the calendar files (the one-event download, the feeds, the calendar links and emails).

- What the organiser typed on the event for a speaker — the name, the role and the affiliation — is
  public with the event: the organiser published it for the event.
- What comes from a linked fellow's profile follows that profile's visibility for the person looking
  (``core.permissions.can_view_profile``): today that is the link to the profile. Nothing else is read
  from the profile — its job title, organisation and photo are not shown with the speaker — so a
  profile seen by organisers only stays so even when its fellow speaks at a public event.
- Calendar files are read by whoever holds them, so they count as anonymous; as they carry nothing from
  a profile they never need to look one up.

Pure: the caller says whether the viewer may see the linked profile, so this module reads no request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from events.models import Speaker
    from fellows.models import Organisation


@dataclass(frozen=True)
class SpeakerDetails:
    """A speaker as one viewer may see them."""

    #: As typed on the event, with the honorific ("Dr Mark Thompson").
    name: str
    #: As typed on the event ("Senior Lecturer"), never the profile's job title.
    role: str | None
    #: The affiliation chosen on the event, never the profile's organisation.
    organisation: Organisation | None
    #: The linked fellow's id, only for a viewer who may see their profile (to link the name to it).
    profile_id: int | None = None

    @property
    def text(self) -> str:
        """One line: "Dr Mark Thompson, Senior Lecturer, Cambridge Judge Business School"."""
        parts = [self.name, self.role, self.organisation.name if self.organisation else None]
        return ", ".join(part for part in parts if part)


def speaker_details(speaker: Speaker, *, profile_visible: bool = False) -> SpeakerDetails:
    """The speaker as shown to a viewer; ``profile_visible``: the viewer may see the linked fellow's profile."""
    return SpeakerDetails(
        name=speaker.display_name,
        role=speaker.role or None,
        organisation=speaker.organisation,
        profile_id=speaker.fellow_id if profile_visible and speaker.fellow_id is not None else None,
    )


#: How widely each audience and each profile visibility reaches: 0 anyone, 1 signed-in people, 2 organisers.
_REACH = {"public": 0, "fellows": 1, "invitation": 1, "organisers": 2}
_VISIBILITY_WORDS = {"fellows": "for signed-in fellows only", "organisers": "for organisers only"}


def wider_than_profiles(event) -> list[str]:
    """A sentence for each linked fellow whose profile reaches fewer people than the event does.

    Shown to the organiser after saving or publishing: what they typed for that speaker is shown with
    the event to its whole audience, so they should check the fellow agrees.
    """
    audience = _REACH.get(event.audience, 1)
    notes = []
    for speaker in event.speakers:
        fellow = speaker.fellow
        if fellow is None or _REACH.get(fellow.visibility, 2) <= audience:
            continue
        notes.append(
            f"{fellow.display_name}'s profile is {_VISIBILITY_WORDS[fellow.visibility]}, but as a speaker of this "
            f"event the name, role and affiliation typed for them are shown to everyone who can see the event. "
            "Check they agree, or leave the role and affiliation blank."
        )
    return notes
