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
