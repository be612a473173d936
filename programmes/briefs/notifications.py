"""A brief's round in email: an organiser's comment goes to the fellow; the fellow's comment goes to the
organisers (an email each to those who chose it, a digest line for the rest)."""

from __future__ import annotations

from core.mail import queue_email
from core.permissions import is_organiser
from core.urls import external_url
from fellows.alerts import alert_organisers
from fellows.models import User
from programmes.models import BriefComment


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
