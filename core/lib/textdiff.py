"""Word-by-word differences between two texts, for showing what a revision changed (pure: no app)."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Literal, NamedTuple

Kind = Literal["same", "added", "removed"]


class Piece(NamedTuple):
    kind: Kind
    text: str


def _words(text: str | None) -> list[str]:
    """Words with the spaces after them, so the pieces join back into the text."""
    return re.findall(r"\S+\s*", text or "")


def word_diff(old: str | None, new: str | None) -> list[Piece]:
    """``new`` against ``old`` as pieces kept, added and removed, in reading order (removed before added)."""
    before, after = _words(old), _words(new)
    pieces: list[Piece] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if tag == "equal":
            pieces.append(Piece("same", "".join(before[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(Piece("removed", "".join(before[i1:i2])))
        if j2 > j1:
            pieces.append(Piece("added", "".join(after[j1:j2])))
    return pieces
