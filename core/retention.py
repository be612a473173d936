"""``flask --app app purge``: remove what the retention periods no longer allow us to keep.

Core purges the text of old emails; each area registers what it keeps for a limited time
(core.registry.retention_purges). Every purge is idempotent, so the command can run daily from the
same cron as the reminders, and again after a missed day, without harm.
"""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import with_appcontext

from core import audit
from core.forms import purge_used_form_keys
from core.mail import purge_old_bodies
from core.models import utcnow
from core.registry import retention_purges
from extensions import db


def purge(now: datetime | None = None) -> dict[str, int]:
    """Run every purge in one transaction; {what was removed: how many}."""
    now = now or utcnow()
    removed = purge_old_bodies(now) | purge_used_form_keys(now)
    for part in retention_purges:
        removed |= part(now)
    if any(removed.values()):  # a run that removed nothing is not worth an entry (it runs daily)
        audit.record(None, "purge.run", ", ".join(f"{count} {what}" for what, count in removed.items()) + " removed")
    db.session.commit()
    return removed


@click.command("purge")
@with_appcontext
def purge_command() -> None:
    """Remove booking answers and email texts older than their retention periods (run it daily)."""
    removed = purge()
    click.echo(", ".join(f"{count} {what}" for what, count in removed.items()) + " removed.")
