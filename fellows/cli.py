"""``flask users create``: an account that can sign in straight away (a deployment's first organiser);
``flask users two-step-off``: for an organiser who lost their phone and their recovery codes;
``flask digest``: the organisers' daily digest (run it from cron once a day)."""

from __future__ import annotations

import sys
from datetime import datetime

import click
from flask.cli import AppGroup, with_appcontext

from extensions import db
from fellows.alerts import queue_digests
from fellows.models import User
from fellows.passwords import password_problem, personal_words
from fellows.services import find_user_by_email, normalise_email
from fellows.two_step import services as two_step

users_cli = AppGroup("users", help="Manage accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="The person's full name.")
@click.option("--role", type=click.Choice(["organiser", "fellow"]), default="fellow", show_default=True)
def create_user(email: str, name: str, role: str) -> None:
    """Create an account that can sign in straight away (e.g. a deployment's first organiser).

    The password is asked for at a prompt, or read from the first line of standard input when
    that is not a terminal (for scripts).
    """
    if find_user_by_email(email):
        raise click.ClickException(f"An account for {normalise_email(email)} already exists.")
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    problem = password_problem(password, personal_words(name, email))
    if problem:
        raise click.ClickException(f"{problem.rstrip('.')}. Choose another password.")
    user = User(email=normalise_email(email), name=name, role=role, visibility="fellows", links=[])
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Created {role} {user.email}.")


@users_cli.command("two-step-off")
@click.argument("email")
def two_step_off(email: str) -> None:
    """Switch off two-step sign-in for EMAIL, who lost their phone and their recovery codes.

    Organisers switch it off for a fellow on the fellow's page; an organiser (the only one, or any) is
    helped here, by someone with access to the server, so that a stolen organiser session cannot strip
    another organiser's second step. The change is audited and the person is emailed.
    """
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"There is no account for {normalise_email(email)}.")
    if not user.has_two_step:
        click.echo(f"Two-step sign-in is already off for {user.email}.")
        return
    two_step.switch_off(user, by=_COMMAND_LINE)
    db.session.commit()
    click.echo(
        f"Two-step sign-in is off for {user.email}; they sign in with their password and can switch it on again."
    )


class _CommandLine:
    """The actor of a change made at the command line (audited as "command line", not as a person)."""

    id = None
    is_authenticated = False


_COMMAND_LINE = _CommandLine()


@click.command("digest")
@with_appcontext
def digest_command() -> None:
    """Queue each organiser who chose the daily digest one email of what happened since their last one."""
    count = queue_digests()
    db.session.commit()
    click.echo(f"{count} digest(s) queued.")


def digest_job(now: datetime) -> str:
    """The scheduler's run of ``flask digest`` (once a day, in the morning)."""
    count = queue_digests(now)
    db.session.commit()
    return f"{count} digest(s) queued"
