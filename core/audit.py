"""The audit log: destructive and privacy-relevant actions, recorded in the same transaction as the action.

Areas call ``record`` from the view or service that acts, just before the view commits, so an action
that is rolled back leaves no entry and an entry always means the action happened.
"""

from __future__ import annotations

from sqlalchemy import update

from core.models import AuditEntry, utcnow
from core.registry import account_erasers, audit_labels
from extensions import db

#: What each action is called on the audit page; an action missing here is shown by its key.
for _action, _label in {
    "backup.made": "Backup made",
    "backup.restored": "Backup restored",
    "outbox.retried": "Failed email queued again",
    "outbox.address_cleared": "Undeliverable address cleared",
    "purge.run": "Retention purge",
}.items():
    audit_labels.register(_action, _label)


def actions() -> dict[str, str]:
    """Every recorded action the areas name, by its key (the audit log's filter)."""
    return dict(audit_labels.items())


def record(
    actor, action: str, summary: str, subject: str | None = None, *, actor_name: str | None = None
) -> AuditEntry:
    """Add an entry for ``action`` by ``actor`` (a user, or None for the command line); flushes.

    ``actor_name`` names an actor who is not a signed-in person (an expert's private link, the owner
    of an account being deleted), so the entry keeps no name that erasure should remove.
    """
    is_person = actor is not None and getattr(actor, "is_authenticated", False)
    entry = AuditEntry(
        at=utcnow(),
        actor_id=actor.id if is_person else None,
        actor_name=actor_name or (actor.name if is_person else "command line"),
        action=action,
        subject=subject,
        summary=summary,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def label(action: str) -> str:
    return audit_labels.get(action) or action


def forget_actor(user) -> None:
    """Account deletion: entries the person made stay (the action happened) but no longer name them."""
    db.session.execute(
        update(AuditEntry).where(AuditEntry.actor_id == user.id).values(actor_id=None, actor_name="a deleted account")
    )


account_erasers.register("audit", forget_actor, order=90)
