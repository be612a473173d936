"""Review links: a private link that lets a speaker or named fellow read a draft write-up and approve it
or comment, without an account. Only the token's hash is stored.

Functions change models and flush; the view commits.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.mail import queue_email
from core.models import utcnow
from core.urls import external_url
from extensions import db
from fellows.alerts import alert_organisers
from fellows.models import User
from writeups.models import REVIEW_DECISIONS, Note, NoteReviewLink, NoteReviewResponse
from writeups.services import NoteError


def create_review_link(note: Note, user: User, reviewer_name: str, reviewer_email: str) -> tuple[NoteReviewLink, str]:
    """A private link for a speaker or named fellow to read the draft and respond; emailed to them.

    Returns the link and its token (shown to the organiser once; only its hash is stored).
    """
    if note.state != "in_review":
        raise NoteError("Send the note for review before asking anyone to review it.")
    token = secrets.token_urlsafe(32)
    link = NoteReviewLink(
        note=note,
        token_hash=NoteReviewLink.hash(token),
        reviewer_name=reviewer_name.strip(),
        reviewer_email=reviewer_email.strip().lower(),
        created_by=user,
        created_at=utcnow(),
    )
    db.session.add(link)
    db.session.flush()
    queue_email(
        link.reviewer_email,
        f"Please review the write-up: {note.title}",
        "note_review_request",
        kind="note_review_request",
        reviewer_name=link.reviewer_name,
        note=note,
        event=note.about,
        organiser=user,
        secrets={"link": external_url("notes.review", token=token)},
    )
    return link, token


def revoke_review_link(link: NoteReviewLink, user: User) -> None:
    """The link stops working at once (its page answers 404)."""
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        db.session.flush()


def find_review_link(token: str) -> NoteReviewLink | None:
    """The live (not revoked) review link for ``token``, or None."""
    if not token or len(token) > 200:
        return None
    link = db.session.scalar(select(NoteReviewLink).where(NoteReviewLink.token_hash == NoteReviewLink.hash(token)))
    if link is None or not link.is_active:
        return None
    return link


def record_review_response(link: NoteReviewLink, decision: str, comment: str | None) -> NoteReviewResponse:
    """A reviewer approves the draft or comments on it; organisers see it on the note's page."""
    if not link.is_active:
        raise NoteError("This review link has been withdrawn.")
    if link.note.state != "in_review":
        raise NoteError("This write-up is no longer in review, so responses are closed.")
    if decision not in REVIEW_DECISIONS:
        raise NoteError("Choose whether you approve the draft or want to comment.")
    comment = (comment or "").strip() or None
    if decision == "comment" and not comment:
        raise NoteError("Write your comment.")
    latest = link.note.revisions[0].number if link.note.revisions else None
    response = NoteReviewResponse(
        link=link, decision=decision, comment=comment, revision_number=latest, created_at=utcnow()
    )
    db.session.add(response)
    db.session.flush()
    # Organisers who chose "each" hear now; the others in their daily digest (review_response_alerts).
    alert_organisers(
        f"review_response:{response.id}",
        f"Review {'approved' if decision == 'approve' else 'comment'}: {link.note.title}",
        _response_line(response),
        external_url("notes.note", note_id=link.note_id),
    )
    return response


def _response_line(response: NoteReviewResponse) -> str:
    link = response.link
    return f"{link.reviewer_name}: {response.decision_label.lower()} — {link.note.title}"


def review_response_alerts(since: datetime, until: datetime) -> list[tuple[str, str]]:
    """Reviewers' answers given in the window, for the organisers' daily digest."""
    responses = db.session.scalars(
        select(NoteReviewResponse)
        .where(NoteReviewResponse.created_at > since, NoteReviewResponse.created_at <= until)
        .options(selectinload(NoteReviewResponse.link).selectinload(NoteReviewLink.note))
        .order_by(NoteReviewResponse.created_at, NoteReviewResponse.id)
    )
    return [(_response_line(r), external_url("notes.note", note_id=r.link.note_id)) for r in responses]


# The reviewer as a data subject ----------------------------------------------------------------

#: What a review link says about its reviewer once their account has been deleted.
ERASED_REVIEWER = "Reviewer (account deleted)"


def _links_to(user: User):
    return select(NoteReviewLink).where(NoteReviewLink.reviewer_email == user.email.lower())


def export_review_links(user: User) -> list[dict]:
    """Review links emailed to the person's address and their answers, for "Download my data"."""
    return [
        {
            "write_up": link.note.title,
            "reviewer_name": link.reviewer_name,
            "sent_at": link.created_at.isoformat(),
            "withdrawn_at": link.revoked_at.isoformat() if link.revoked_at else None,
            "responses": [
                {"decision": r.decision, "comment": r.comment, "at": r.created_at.isoformat()} for r in link.responses
            ],
        }
        for link in db.session.scalars(_links_to(user).order_by(NoteReviewLink.id))
    ]


def erase_review_links(user: User) -> None:
    """Before an account is deleted: links to its address stop working and forget the name and email.

    The reviewers' answers stay with the draft they were about, under the anonymous name.
    """
    now = utcnow()
    for link in db.session.scalars(_links_to(user)):
        link.reviewer_name = ERASED_REVIEWER
        link.reviewer_email = ""
        link.revoked_at = link.revoked_at or now
    db.session.flush()
