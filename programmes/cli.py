"""``flask --app app expert-reminders``: remind experts who have not answered an invitation (idempotent)."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import with_appcontext

from extensions import db
from programmes.visits.invitations import remind_non_responders


@click.command("expert-reminders")
@with_appcontext
def expert_reminders_command() -> None:
    """Remind, once, each expert who has not answered an invitation after the visit's reminder delay."""
    count = remind_non_responders()
    db.session.commit()
    click.echo(f"{count} expert reminder(s) queued.")


def expert_reminders_job(now: datetime) -> str:
    """The scheduler's run of ``flask expert-reminders`` (hourly)."""
    count = remind_non_responders(now)
    db.session.commit()
    return f"{count} expert reminder(s) queued"
