"""The organisers' write-ups section of the home page: notes in review and their reviewers' answers
(registered with core.registry by events/notes/blueprint.py; readers' latest write-ups are in views)."""

from __future__ import annotations

from sqlalchemy import distinct, func, select
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
    asked: dict[int, int] = {}
    answers: dict[tuple[int, str], int] = {}
    if ids:
        asked = dict(
            db.session.execute(
                select(NoteReviewLink.note_id, func.count(NoteReviewLink.id))
                .where(NoteReviewLink.note_id.in_(ids))
                .group_by(NoteReviewLink.note_id)
            ).all()
        )
        # A reviewer who answered twice counts once per kind of answer (a comment, then an approval).
        for note_id, decision, number in db.session.execute(
            select(NoteReviewLink.note_id, NoteReviewResponse.decision, func.count(distinct(NoteReviewLink.id)))
            .join(NoteReviewResponse.link)
            .where(NoteReviewLink.note_id.in_(ids))
            .group_by(NoteReviewLink.note_id, NoteReviewResponse.decision)
        ):
            answers[(note_id, decision)] = number
    return {
        "count": count,
        "notes": [
            {
                "note": note,
                "asked": asked.get(note.id, 0),
                "approved": answers.get((note.id, "approve"), 0),
                "commented": answers.get((note.id, "comment"), 0),
            }
            for note in notes
        ],
    }
