"""Counted nouns in messages: "1 person", "2 people", "0 places" — one helper so no message says
"1 confirmed and 0 waitlisted person" or "1 people"."""

from __future__ import annotations


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``count`` followed by the noun in the right number (the plural adds an "s" unless given)."""
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"
