"""Core's command-line tools: ``demo``, ``mail send``, ``mail bounces``, ``purge``, ``backup``, ``restore`` and
``scheduler``; the areas add theirs through core.registry."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from core.backup import backup_command, restore_command
from core.mail import bounces, deliver_due
from core.registry import cli_commands, demo_loaders, live_data_checks
from core.retention import purge_command
from core.scheduler import scheduler_command
from extensions import db

mail_cli = AppGroup("mail", help="The mail outbox.")


@mail_cli.command("send")
@click.option("--limit", default=100, show_default=True, help="Most messages to try in this run.")
def send_mail(limit: int) -> None:
    """Deliver queued emails whose time has come (run it every minute from a worker or cron)."""
    sent, failed = deliver_due(limit=limit)
    click.echo(f"{sent} sent, {failed} failed attempts.")


@mail_cli.command("bounces")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.option("--all", "seen_too", is_flag=True, help="In a maildir, read the messages already seen (cur/) too.")
def read_bounces(path: str, seen_too: bool) -> None:
    """Record the addresses that bounced for good, from bounce reports (RFC 3464) in PATH: a maildir, whose
    new messages are then filed as seen, or a folder of .eml files. Running it again changes nothing."""
    files = list(bounces.report_files(path, seen_too=seen_too))
    reports, recorded = 0, []
    for file in files:
        found = bounces.hard_bounces(file.report) if file.report is not None else []
        reports += bool(found)
        for address, reason in found:
            if bounces.record_undeliverable(address, reason, "dsn"):
                recorded.append(address)
    db.session.commit()
    for file in files:  # only once what they said is saved
        if file.unseen:
            bounces.file_as_seen(file)
    click.echo(
        f"{len(files)} messages read, {reports} reporting a permanent failure; "
        + (f"newly undeliverable: {', '.join(recorded)}." if recorded else "no new undeliverable address.")
    )


@click.command("demo")
@with_appcontext
def load_demo() -> None:
    """Load realistic demo data (running it again changes nothing) and print the demo sign-ins.

    The demo accounts share a published password, so this refuses a deployment served over HTTPS and a
    database that already holds real people's data (ASVS 2.5.4).
    """
    reasons = [] if not current_app.config["BASE_URL"].startswith("https://") else ["BASE_URL is https://"]
    reasons += [reason for check in live_data_checks if (reason := check())]
    if reasons:
        raise click.ClickException(
            "This looks like a live system ("
            + "; ".join(reasons)
            + "): demo accounts with a published password are not added. Use an empty database on your own "
            "machine (make run)."
        )
    lines = []
    for load in demo_loaders:
        lines += load() or []
    db.session.commit()
    click.echo("Demo data is loaded.")
    for line in lines:
        click.echo(line)


def register_cli(app: Flask) -> None:
    app.cli.add_command(mail_cli)
    app.cli.add_command(load_demo)
    app.cli.add_command(purge_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(scheduler_command)
    for command in cli_commands:
        app.cli.add_command(command)
