"""Command-line tools: ``users create``, ``demo``, ``mail send``."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from extensions import db

users_cli = AppGroup("users", help="Manage accounts.")
mail_cli = AppGroup("mail", help="The mail outbox.")


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="The person's full name.")
@click.option("--role", type=click.Choice(["organiser", "fellow"]), default="fellow", show_default=True)
def create_user(email: str, name: str, role: str) -> None:
    """Create an account that can sign in straight away (e.g. a deployment's first organiser).

    The password is asked for at a prompt, or read from the first line of standard input when
    that is not a terminal (for scripts).
    """
    from fellows.forms import MIN_PASSWORD_LENGTH
    from fellows.models import User
    from fellows.services import find_user_by_email, normalise_email

    if find_user_by_email(email):
        raise click.ClickException(f"An account for {normalise_email(email)} already exists.")
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    user = User(email=normalise_email(email), name=name, role=role, visibility="fellows", links=[])
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Created {role} {user.email}.")


@mail_cli.command("send")
@click.option("--limit", default=100, show_default=True, help="Most messages to try in this run.")
def send_mail(limit: int) -> None:
    """Deliver queued emails whose time has come (run it every minute from a worker or cron)."""
    from core.mail import deliver_due

    sent, failed = deliver_due(limit=limit)
    click.echo(f"{sent} sent, {failed} failed attempts.")


@click.command("demo")
@with_appcontext
def load_demo() -> None:
    """Load realistic demo data (running it again changes nothing) and print the demo sign-ins."""
    from fellows.demo import DEMO_PASSWORD, FELLOW_EMAIL, ORGANISER_EMAIL

    for load in demo_loaders():
        load()
    db.session.commit()

    click.echo("Demo data is loaded. Sign in with:")
    click.echo(f"  organiser: {ORGANISER_EMAIL} / {DEMO_PASSWORD}")
    click.echo(f"  fellow:    {FELLOW_EMAIL} / {DEMO_PASSWORD}")


def demo_loaders() -> tuple:
    """The demo loaders in order: fellows first, then the events they book, then write-ups of those events."""
    from events import demo as events_demo
    from events.notes import demo as notes_demo
    from fellows import demo as fellows_demo

    return (fellows_demo.load, events_demo.load, notes_demo.load)


def register_cli(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(load_demo)
