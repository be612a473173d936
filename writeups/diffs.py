"""Differences between versions of a note, for the revision history and the conflicting-save page."""

from __future__ import annotations

import difflib

from markupsafe import Markup

from writeups.models import NOTE_AUDIENCES, NoteRevision


def body_diff(old: str, new: str, old_label: str, new_label: str) -> Markup:
    """A side-by-side HTML table of changed lines (difflib escapes the text it shows)."""
    table = difflib.HtmlDiff(wrapcolumn=72).make_table(
        (old or "").splitlines(), (new or "").splitlines(), old_label, new_label, context=True, numlines=2
    )
    return Markup(table)  # noqa: S704 - difflib.HtmlDiff escapes &, < and > in every line


def _links(value) -> str:
    return "; ".join(f"{link['title']} ({link['url']})" for link in value or []) or "none"


def field_changes(old: NoteRevision, new: NoteRevision) -> list[tuple[str, str, str]]:
    """(field, before, after) for everything but the body that differs between two revisions."""
    changes = []

    def compare(label: str, before, after) -> None:
        if before != after:
            changes.append((label, before or "none", after or "none"))

    compare("Title", old.title, new.title)
    compare("Summary", old.summary, new.summary)
    compare("Audience", NOTE_AUDIENCES.get(old.audience, old.audience), NOTE_AUDIENCES.get(new.audience, new.audience))
    compare("Chatham House Rule", "yes" if old.chatham_house else "no", "yes" if new.chatham_house else "no")
    compare("Topics", ", ".join(old.topics or []), ", ".join(new.topics or []))
    if old.image_id != new.image_id:
        after = "a different image" if old.image_id and new.image_id else ("an image" if new.image_id else "none")
        changes.append(("Lead image", "an image" if old.image_id else "none", after))
    compare("Image caption", old.image_caption, new.image_caption)
    compare("Image credit", old.image_credit, new.image_credit)
    compare("Further reading", _links(old.links), _links(new.links))
    return changes
