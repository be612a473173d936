"""The organisers' write-ups section of the home page: notes in review and their reviewers' answers
(registered with core.registry by writeups/blueprint.py; readers' latest write-ups are in views)."""

from __future__ import annotations

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import joinedload

from core.permissions import is_organiser
from extensions import db
from writeups.models import Note, NoteReviewLink, NoteReviewResponse

#: Notes in review named on the home page (the rest are a link away).
IN_REVIEW_SHOWN = 5


def review_section(user) -> dict | None:
    """For organisers: how many write-ups are in review, and for the oldest of them how many reviewers
    were asked, approved and commented. All in one query, never one per note."""
    if not is_organiser(user):
        return None
    link, response = NoteReviewLink, NoteReviewResponse

    def reviewers(decision: str | None):
        """How many reviewers of each Note row were asked, or answered with ``decision`` (a reviewer who
        commented and later approved counts once under each): a correlated subquery column."""
        if decision is None:
            return select(func.count(link.id)).where(link.note_id == Note.id).correlate(Note).scalar_subquery()
        return (
            select(func.count(distinct(response.link_id)))
            .join(link, link.id == response.link_id)
            .where(link.note_id == Note.id, response.decision == decision)
            .correlate(Note)
            .scalar_subquery()
        )

    # One query: the oldest notes in review with their events, the total before the limit (a window
    # count) and each note's reviewers' answers.
    rows = db.session.execute(
        select(
            Note,
            func.count().over().label("total"),
            reviewers(None).label("asked"),
            reviewers("approve").label("approved"),
            reviewers("comment").label("commented"),
        )
        .where(Note.state == "in_review")
        .options(joinedload(Note.event))
        .order_by(Note.updated_at, Note.id)
        .limit(IN_REVIEW_SHOWN)
    ).all()
    return {
        "count": rows[0].total if rows else 0,
        "notes": [
            {"note": row.Note, "asked": row.asked or 0, "approved": row.approved or 0, "commented": row.commented or 0}
            for row in rows
        ],
    }
