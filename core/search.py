"""Plain-text search for list pages: every word typed must appear, in any case, in one of the columns."""

from __future__ import annotations

from sqlalchemy import and_, or_

#: Words beyond this are ignored: nobody types more, and each word is one more condition.
MAX_WORDS = 8


def like_pattern(word: str) -> str:
    """A LIKE pattern matching ``word`` anywhere, with LIKE's own wildcards taken literally."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains_text(column, text: str):
    """``column`` contains ``text`` anywhere, in any case; a typed % or _ is only that character."""
    return column.ilike(like_pattern(text), escape="\\")


def every_word_in(text: str, *columns):
    """A WHERE clause: each word of ``text`` appears in at least one of ``columns``; None for no words."""
    words = text.split()[:MAX_WORDS]
    if not words:
        return None
    return and_(*(or_(*(contains_text(column, word) for column in columns)) for word in words))
