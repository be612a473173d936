"""Half-days: the unit in which experts offer their time ("Monday 1 March, morning").

A ``HalfDay`` is a value: a date and "am" or "pm". It is stored and sent in forms as text
("2027-03-01 am"), read back once with ``HalfDay.parse``, and is a tuple, so it sorts by day then part.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

#: The morning ends at the lunch window, the afternoon starts after it.
PARTS = {"am": "morning", "pm": "afternoon"}


class HalfDay(NamedTuple):
    day: date
    part: str  #: "am" | "pm"

    @classmethod
    def parse(cls, text: str) -> HalfDay:
        """ "2027-03-01 am" → HalfDay; ValueError for anything else."""
        day, _, part = str(text).strip().partition(" ")
        if part not in PARTS:
            raise ValueError(f"not a half-day: {text!r}")
        return cls(date.fromisoformat(day), part)

    @classmethod
    def every(cls, days: Iterable[date]) -> list[HalfDay]:
        """Both half-days of each day, in order."""
        return [cls(day, part) for day in days for part in PARTS]

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {self.part}"

    @property
    def label(self) -> str:
        """ "Monday 1 March, morning"."""
        return f"{self.day:%A} {self.day.day} {self.day:%B}, {PARTS[self.part]}"
