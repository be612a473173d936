"""The feeds fold their lines faster than icalendar does, into exactly the same bytes (core.lib.ical).

Calendar clients differ in how they read a folded line, so the feeds keep icalendar's folding to the octet:
at most 75 octets a line, never inside a UTF-8 character, never between a backslash (or caret) and the
character it escapes. Any line, and any component, comes out byte for byte as icalendar writes it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.lib.ical import _folded, component_bytes

#: Characters where folding goes wrong: escapes, and UTF-8 characters of two, three and four octets.
_TRICKY = st.sampled_from(["\\", "^", ",", ";", "é", "€", "’", "—", "𝄞", "中", " ", "a", "Z", "0"])
#: Any text a page or the database can hold: no line breaks (content lines have none) and no lone surrogates,
#: which UTF-8 cannot encode (both foldings refuse them alike: the test below).
_ANY = st.characters(exclude_characters="\r\n", exclude_categories=("Cs",))
_LINES = st.lists(st.one_of(_TRICKY, _ANY), max_size=400).map("".join)


@settings(max_examples=400)  # pure and quick: many more examples than the suite's bounded profile
@given(_LINES)
def test_any_line_is_folded_exactly_as_icalendar_folds_it(line):
    assert _folded(line) == icalendar.parser.Contentline(line).to_ical()


def test_the_edges_of_a_fold():
    for line in ("a" * 74, "a" * 75, "a" * 73 + "\\,", "a" * 73 + "é", "a" * 72 + "𝄞b", "\\" * 200, "^" * 150):
        assert _folded(line) == icalendar.parser.Contentline(line).to_ical(), line
    assert all(len(part) <= 75 for part in _folded("é" * 300).split(b"\r\n"))
    for fold in (_folded, lambda line: icalendar.parser.Contentline(line).to_ical()):
        with pytest.raises(UnicodeEncodeError):
            fold("a lone surrogate \ud800")


@settings(max_examples=60)
@given(
    summary=_LINES,
    description=_LINES,
    location=_LINES,
    categories=st.lists(_LINES.filter(bool), max_size=3),
)
def test_a_whole_event_is_the_bytes_icalendar_writes(summary, description, location, categories):
    start = datetime(2016, 10, 12, 12, tzinfo=UTC)
    vevent = icalendar.Event()
    vevent.add("uid", "event-1@example.org")
    vevent.add("dtstart", start)
    vevent.add("dtend", start + timedelta(hours=2))
    vevent.add("summary", summary)
    vevent.add("description", description)
    vevent.add("location", location)
    if categories:
        vevent.add("categories", categories)
    organizer = icalendar.vCalAddress("mailto:office@example.org")
    organizer.params["CN"] = summary or "The office"
    vevent.add("organizer", organizer)
    assert component_bytes(vevent) == vevent.to_ical()
