"""``flask --app app reminders``: queue the day-before reminders (run it from cron as often as you like)."""

from __future__ import annotations

from datetime import datetime, timedelta

import click
from flask.cli import with_appcontext

from events.reminders import queue_reminders
from extensions import db


@click.command("reminders")
@click.option("--hours", default=24, show_default=True, help="Remind people of events starting within this many hours.")
@with_appcontext
def reminders_command(hours: int) -> None:
    """Queue reminders for confirmed places at events starting soon; each person gets one per event."""
    count = queue_reminders(lead=timedelta(hours=hours))
    db.session.commit()
    click.echo(f"{count} reminder(s) queued.")


def reminders_job(now: datetime) -> str:
    """The scheduler's run of ``flask reminders`` (every five minutes)."""
    count = queue_reminders(now=now)
    db.session.commit()
    return f"{count} reminder(s) queued"
