"""What a write-up can be of besides an event: the areas below write-ups that describe their things for
it, named here in the open (write-ups sit above events and programmes, so they import them).

Each kind maps to describe(ids) -> {id: WriteupSubject} of those that exist, in one go, so a list of
write-ups asks once per kind.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from programmes.writeups import WriteupSubject, describe_rapid
from programmes.writeups import describe as describe_visits

__all__ = ["KINDS", "WriteupSubject", "describer"]

KINDS: dict[str, Callable[[Collection[int]], dict[int, WriteupSubject]]] = {
    "visit": describe_visits,
    "rapid": describe_rapid,
}


def describer(kind: str | None) -> Callable[[Collection[int]], dict[int, WriteupSubject]] | None:
    """The describe function of a kind of subject, or None for an unknown kind."""
    return KINDS.get(kind) if kind else None
