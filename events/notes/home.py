"""The organisers' write-ups section of the home page: notes in review and their reviewers' answers
(registered with core.registry by events/notes/blueprint.py; readers' latest write-ups are in views)."""

from __future__ import annotations

from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import joinedload

from core.permissions import is_organiser
from events.notes.models import Note, NoteReviewLink, NoteReviewResponse
from extensions import db

#: Notes in review named on the home page (the rest are a link away).
IN_REVIEW_SHOWN = 5


def review_section(user) -> dict | None:
    """For organisers: how many write-ups are in review, and for the oldest of them how many reviewers
    were asked, approved and commented. Counts come from grouped queries, never one per note."""
    if not is_organiser(user):
        return None
    in_review = Note.state == "in_review"
    count = db.session.scalar(select(func.count(Note.id)).where(in_review)) or 0
    notes = db.session.scalars(
        select(Note)
        .where(in_review)
        .options(joinedload(Note.event))
        .order_by(Note.updated_at, Note.id)
        .limit(IN_REVIEW_SHOWN)
    ).all()
    ids = [note.id for note in notes]
    counts: dict[int, tuple[int, int, int]] = {}
    if ids:
        # Per note in one query: reviewers asked, and how many of them approved or commented (a reviewer
        # who commented and later approved counts once under each).
        link, response = NoteReviewLink, NoteReviewResponse
        rows = db.session.execute(
            select(
                link.note_id,
                func.count(distinct(link.id)),
                func.count(distinct(case((response.decision == "approve", link.id)))),
                func.count(distinct(case((response.decision == "comment", link.id)))),
            )
            .outerjoin(response, response.link_id == link.id)
            .where(link.note_id.in_(ids))
            .group_by(link.note_id)
        )
        counts = {note_id: (asked, approved, commented) for note_id, asked, approved, commented in rows}
    return {
        "count": count,
        "notes": [
            {
                "note": note,
                **dict(zip(("asked", "approved", "commented"), counts.get(note.id, (0, 0, 0)), strict=True)),
            }
            for note in notes
        ],
    }
