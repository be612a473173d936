"""A fellow's brief in rounds: comments on the draft, and issuing the questions as a numbered version
(flush, never commit; the view or command commits)."""

from __future__ import annotations

from sqlalchemy import delete, select

from core.errors import ServiceError
from extensions import db
from fellows.services import lock_account
from programmes.models import BriefComment, BriefVersion, PolicyQuestion

#: Longest comment in a brief's round.
MAX_COMMENT = 4000


def snapshot(questions) -> list[dict]:
    """Questions as a version freezes them, in the order they were recorded."""
    return [{"id": q.id, "question": q.question, "context": q.context} for q in sorted(questions, key=lambda q: q.id)]


def draft_of(fellow_id: int) -> list[dict]:
    """The fellow's live questions as a version would freeze them."""
    return snapshot(db.session.scalars(select(PolicyQuestion).where(PolicyQuestion.fellow_id == fellow_id)))


def latest_version(fellow_id: int) -> BriefVersion | None:
    return db.session.scalar(
        select(BriefVersion).where(BriefVersion.fellow_id == fellow_id).order_by(BriefVersion.number.desc()).limit(1)
    )


def issue_version(fellow_id: int, *, by, note: str | None = None) -> BriefVersion:
    """Freeze the fellow's questions as the next version. Refused when there is nothing to issue or nothing
    has changed since the last version; two organisers issuing at once get one version, not two."""
    lock_account(fellow_id)
    draft = draft_of(fellow_id)
    if not draft:
        raise ServiceError("There are no questions to issue yet.")
    latest = latest_version(fellow_id)
    if latest is not None and latest.questions == draft:
        raise ServiceError(f"Nothing has changed since version {latest.number}.")
    version = BriefVersion(
        fellow_id=fellow_id,
        number=(latest.number if latest else 0) + 1,
        questions=draft,
        note=" ".join((note or "").split())[:500] or None,
        issued_by_id=getattr(by, "id", None),
    )
    db.session.add(version)
    db.session.flush()
    return version


def version_to_send(fellow_id: int) -> BriefVersion | None:
    """The version invitations go out with: the latest, or a new one when the questions changed since
    (sending is itself a decision that the draft is ready). None when the fellow has no questions."""
    latest = latest_version(fellow_id)
    draft = draft_of(fellow_id)
    if not draft:
        return latest
    if latest is not None and latest.questions == draft:
        return latest
    return issue_version(fellow_id, by=None, note="Issued when invitations were sent.")


def add_comment(fellow_id: int, body: str, *, by) -> BriefComment:
    """A comment in the current round, after the latest version."""
    body = (body or "").strip()
    if not body:
        raise ServiceError("Write the comment.")
    if len(body) > MAX_COMMENT:
        raise ServiceError(f"Please keep a comment under {MAX_COMMENT} characters.")
    latest = latest_version(fellow_id)
    comment = BriefComment(fellow_id=fellow_id, author_id=by.id, after=latest.number if latest else 0, body=body)
    db.session.add(comment)
    db.session.flush()
    return comment


def export_briefs(user) -> list[dict] | None:
    """The fellow's brief versions and the comments of its rounds, for "Download my data"."""
    versions = db.session.scalars(
        select(BriefVersion).where(BriefVersion.fellow_id == user.id).order_by(BriefVersion.number)
    ).all()
    comments = db.session.scalars(
        select(BriefComment).where(BriefComment.fellow_id == user.id).order_by(BriefComment.id)
    ).all()
    if not versions and not comments:
        return None
    return {
        "versions": [
            {"number": v.number, "issued_at": v.issued_at.isoformat(), "note": v.note, "questions": v.questions}
            for v in versions
        ],
        "comments": [
            {"after_version": c.after, "at": c.created_at.isoformat(), "by_you": c.author_id == user.id, "text": c.body}
            for c in comments
        ],
    }


def erase_briefs(user) -> None:
    """Account deletion: the versions and comments quote her questions (comments she wrote on other
    briefs do not exist: a fellow sees only her own)."""
    db.session.execute(delete(BriefComment).where(BriefComment.fellow_id == user.id))
    db.session.execute(delete(BriefVersion).where(BriefVersion.fellow_id == user.id))
    db.session.flush()
