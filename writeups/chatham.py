"""The Chatham House check: which speakers and booked attendees (or, for a write-up of a visit
programme, which of the fellow and the experts they met) does a note name?

A name counts as mentioned when it appears as a whole word, in any case, with or without an
honorific: "Mark Thompson", "Dr Mark Thompson", "dr. mark thompson" and "Dr Thompson" all name
Dr Mark Thompson. A surname on its own ("Thompson said") is not matched: too many surnames are
ordinary words ("Grant", "Hart") for that to be useful.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from events.models import Booking, Speaker
from extensions import db
from writeups.models import Note

#: Titles that may stand before a name ("Rt Hon" and "The Rt Hon" as well as one-word titles).
HONORIFICS = (
    "The Rt Hon",
    "Rt Hon",
    "Right Honourable",
    "Professor",
    "Prof",
    "Dr",
    "Doctor",
    "Mr",
    "Mrs",
    "Ms",
    "Mx",
    "Miss",
    "Sir",
    "Dame",
    "Lord",
    "Lady",
    "Baroness",
    "Baron",
    "Cllr",
    "Councillor",
    "Rev",
    "Revd",
)
_HONORIFIC = "(?:" + "|".join(r"\s+".join(re.escape(w) for w in h.split()) for h in HONORIFICS) + r")\.?"


@dataclass
class Person:
    key: str
    display_name: str
    role: str
    pattern: re.Pattern = field(repr=False)


@dataclass
class Mention:
    """One person the note names; ``text`` is how the note first wrote it, ``count`` how often, and
    ``spellings`` each distinct way it wrote them ("Dr Thompson", "Mark Thompson") with how often."""

    key: str
    person: str
    role: str
    text: str
    count: int
    spellings: list[tuple[str, int]] = field(default_factory=list)

    @property
    def written_as(self) -> str:
        """Each spelling quoted on its own: “Dr Thompson” (2 times), “Mark Thompson”."""
        return ", ".join(f"“{text}”" + (f" ({count} times)" if count > 1 else "") for text, count in self.spellings)

    @property
    def message(self) -> str:
        return f"This note names {self.person} — the Chatham House Rule forbids attribution."

    @property
    def label(self) -> str:
        return f"{self.person} ({self.role})"


def _bare_name(name: str) -> list[str]:
    """The words of a name without any title typed into the name itself."""
    name = re.sub(r"^(?:" + _HONORIFIC + r"\s+)+", "", name.strip(), flags=re.IGNORECASE)
    return name.split()


def name_pattern(name: str) -> re.Pattern | None:
    """A case-insensitive, whole-word pattern for a person's name, with or without an honorific."""
    words = _bare_name(name)
    if not words:
        return None
    sep = r"\s+"
    forms = [sep.join(re.escape(w) for w in words)]
    if len(words) > 2:  # "Mark Thompson" also names "Mark Andrew Thompson"
        forms.append(re.escape(words[0]) + sep + re.escape(words[-1]))
    full = rf"(?:{_HONORIFIC}{sep})*(?:{'|'.join(forms)})"
    alternatives = [full]
    if len(words) > 1:
        alternatives.append(rf"(?:{_HONORIFIC}{sep})+{re.escape(words[-1])}")
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


def _people(candidates: list[tuple[str, str, str, str]]) -> list[Person]:
    """One Person per distinct name among (key, display name, name, role)."""
    people: list[Person] = []
    seen: set[str] = set()
    for key, display_name, name, role in candidates:
        normalised = " ".join(_bare_name(name)).casefold()
        pattern = name_pattern(name)
        if pattern is None or normalised in seen:
            continue
        seen.add(normalised)
        people.append(Person(key, display_name, role, pattern))
    return people


def event_people(event_id: int) -> list[Person]:
    """The event's speakers, then its booked (confirmed) attendees; one entry per distinct name."""
    speakers = db.session.scalars(select(Speaker).where(Speaker.event_id == event_id).order_by(Speaker.position))
    bookings = db.session.scalars(
        select(Booking)
        .where(Booking.event_id == event_id, Booking.state == "confirmed", Booking.user_id.is_not(None))
        .options(joinedload(Booking.user))
        .order_by(Booking.id)
    )
    candidates = [(f"speaker:{s.id}", s.display_name, s.name, "speaker") for s in speakers]
    candidates += [(f"attendee:{b.user.id}", b.user.display_name, b.user.name, "attendee") for b in bookings]
    return _people(candidates)


def note_people(note: Note) -> list[Person]:
    """Whom the note must not name: an event's speakers and attendees, or the people its subject lists
    (for a visit programme: the fellow and the experts they met)."""
    if note.event_id is not None:
        return event_people(note.event_id)
    if note.subject is None:
        return []
    return _people([(key, name, name, role) for key, name, role in note.subject.people()])


def note_text(note: Note) -> str:
    """Everything a reader sees written in the note."""
    parts = [note.title, note.summary, note.body, note.image_caption or ""]
    parts += [link.title for link in note.links]
    return "\n\n".join(part for part in parts if part)


def find_chatham_house_mentions(note: Note) -> list[Mention]:
    """Each speaker or booked attendee of the note's event whom the note's text names."""
    text = note_text(note)
    mentions = []
    for person in note_people(note):
        matches = list(person.pattern.finditer(text))
        if matches:
            spellings: dict[str, int] = {}  # in the order the note first uses each
            for match in matches:
                spelling = " ".join(match.group(0).split())
                spellings[spelling] = spellings.get(spelling, 0) + 1
            first = next(iter(spellings))
            mentions.append(
                Mention(person.key, person.display_name, person.role, first, len(matches), list(spellings.items()))
            )
    return mentions
