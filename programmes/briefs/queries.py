"""Reads for the brief pages: the versions with what each changed, the rounds' comments, and the version
an expert was invited with."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.lib.textdiff import Piece, word_diff
from extensions import db
from programmes.models import BriefComment, BriefVersion


@dataclass
class QuestionChange:
    """One question of a version against the version before: added, removed, changed or the same."""

    state: str
    question: list[Piece]
    context: list[Piece]


@dataclass
class Round:
    """A version (None for the live draft not issued yet), what it changed, and the comments after it."""

    version: BriefVersion | None
    number: int
    changes: list[QuestionChange]
    comments: list[BriefComment] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(change.state != "same" for change in self.changes)


def compare(old: list[dict], new: list[dict]) -> list[QuestionChange]:
    """``new`` questions against ``old``, matched by question: kept order of ``new``, removed ones last."""
    before = {item["id"]: item for item in old}
    changes = []
    for item in new:
        prior = before.pop(item["id"], None)
        if prior is None:
            state = "added"
        elif (prior["question"], prior.get("context")) == (item["question"], item.get("context")):
            state = "same"
        else:
            state = "changed"
        prior = prior or {"question": "", "context": None}
        question = word_diff(prior["question"], item["question"])
        changes.append(QuestionChange(state, question, word_diff(prior.get("context"), item.get("context"))))
    for item in before.values():
        changes.append(QuestionChange("removed", word_diff(item["question"], ""), word_diff(item.get("context"), "")))
    return changes


def rounds(fellow_id: int, draft: list[dict]) -> list[Round]:
    """Every version, oldest first, each against the one before, with its round's comments; then the live
    draft when it differs from the latest version (or nothing has been issued). Two queries."""
    versions = db.session.scalars(
        select(BriefVersion)
        .where(BriefVersion.fellow_id == fellow_id)
        .options(selectinload(BriefVersion.issued_by))
        .order_by(BriefVersion.number)
    ).all()
    comments = db.session.scalars(
        select(BriefComment)
        .where(BriefComment.fellow_id == fellow_id)
        .options(selectinload(BriefComment.author))
        .order_by(BriefComment.created_at, BriefComment.id)
    ).all()
    result, previous = [Round(None, 0, [])], []
    for version in versions:
        result.append(Round(version, version.number, compare(previous, version.questions)))
        previous = version.questions
    if not versions or previous != draft:
        result.append(Round(None, len(versions) + 1, compare(previous, draft)))
    by_number = {item.number: item for item in result if item.version is not None}
    by_number[0] = result[0]
    for comment in comments:
        by_number.get(comment.after, result[0]).comments.append(comment)
    return [item for item in result if item.number or item.comments]


def invited_with(fellow_id: int, number: int | None) -> tuple[BriefVersion | None, BriefVersion | None]:
    """(the version an invitation was sent with, the latest version): one query."""
    versions = db.session.scalars(
        select(BriefVersion).where(BriefVersion.fellow_id == fellow_id).order_by(BriefVersion.number)
    ).all()
    sent = next((version for version in versions if version.number == number), None)
    return sent, versions[-1] if versions else None
