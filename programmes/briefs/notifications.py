"""A brief's round in email: an organiser's comment goes to the fellow; the fellow's comment goes to the
organisers (an email each to those who chose it, a digest line for the rest); a new version goes to the
experts already asked."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core.mail import queue_email
from core.permissions import is_organiser
from core.sealing import SealError, open_seal
from core.timeutil import local_today
from core.urls import external_url
from extensions import db
from fellows.alerts import alert_organisers
from fellows.models import User
from programmes.models import BriefComment, BriefVersion, Expert, ExpertInvitation, VisitProgramme
from programmes.visits.invitations import brief_as_sent, expert_link, fellow_as_shown_to_experts


def tell_of_comment(comment: BriefComment, fellow: User, author: User) -> None:
    link = external_url("programmes.brief", fellow_id=fellow.id)
    if is_organiser(author):
        queue_email(
            fellow.email,
            "A comment on your policy questions",
            "brief_comment",
            kind="brief_comment",
            user_id=fellow.id,
            fellow=fellow,
            author=author,
            comment=comment,
            link=link,
        )
        return
    alert_organisers(
        f"brief-comment:{comment.id}",
        f"{fellow.name} commented on their policy questions",
        f"{fellow.name} commented on their policy questions: “{comment.body[:200]}”",
        link,
    )


#: What an expert already asked is told of a revised brief: invited and not answered yet, or accepted.
TOLD_OF_REVISIONS = ("invited", "accepted")


def revision_lines(old: list[dict], new: list[dict]) -> list[tuple[str, str]]:
    """(state, question) for a revision email: the new version's questions, each "new", "revised" or
    "as before", then the questions no longer asked ("dropped")."""
    before = {item["id"]: item for item in old}
    lines = []
    for item in new:
        prior = before.pop(item["id"], None)
        if prior is None:
            state = "new"
        elif (prior["question"], prior.get("context")) == (item["question"], item.get("context")):
            state = "as before"
        else:
            state = "revised"
        lines.append((state, item["question"]))
    return lines + [("dropped", item["question"]) for item in before.values()]


def tell_of_revision(version: BriefVersion) -> int:
    """Email each expert already asked about the fellow (see ``TOLD_OF_REVISIONS``), on a visit not over
    yet, whose invitation names an earlier version: the questions changed, and their private page shows
    how. Once per invitation and version (the outbox's dedupe key); returns how many were queued."""
    asked = db.session.scalars(
        select(ExpertInvitation)
        .join(VisitProgramme, VisitProgramme.id == ExpertInvitation.programme_id)
        .join(Expert, Expert.id == ExpertInvitation.expert_id)
        .where(
            VisitProgramme.fellow_id == version.fellow_id,
            VisitProgramme.ends_on >= local_today(),
            ExpertInvitation.status.in_(TOLD_OF_REVISIONS),
            ExpertInvitation.brief_version < version.number,
            ExpertInvitation.sealed_token.is_not(None),
            Expert.do_not_contact.is_(False),
        )
        .options(joinedload(ExpertInvitation.programme), joinedload(ExpertInvitation.expert))
        .order_by(ExpertInvitation.id)
    ).all()
    told = 0
    for invitation in asked:
        try:
            token = open_seal(invitation.sealed_token)["token"]
        except SealError:
            current_app.logger.warning("Expert invitation %s: link sealed with another SECRET_KEY", invitation.id)
            continue
        fellow = fellow_as_shown_to_experts(invitation.programme)
        queue_email(
            invitation.expert.email,
            f"{fellow['name']}'s questions have changed",
            "expert_brief_revised",
            kind="expert_brief_revised",
            dedupe_key=f"brief-revised:{invitation.id}:{version.number}",
            expert=invitation.expert,
            fellow=fellow,
            visit=invitation.programme,
            invitation=invitation,
            version=version,
            lines=revision_lines(brief_as_sent(invitation), version.questions),
            secrets={"link": expert_link(token)},
        )
        told += 1
    return told
