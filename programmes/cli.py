"""``flask --app app expert-reminders``: remind experts who have not answered an invitation, and expire the
invitations still unanswered after the visit's expiry delay, then invite the next experts on the shortlists
of questions whose places freed (idempotent);
``flask --app app expert-embeddings``: store the meaning of every expert's profile for semantic matching;
``flask --app app follow-up-nudges``: email that follow-ups agreed at meetings are due (idempotent)."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from core.timeutil import local_today, to_local
from extensions import db
from programmes.experts.matching.semantic import refresh_embeddings, status
from programmes.models import Expert
from programmes.outcomes.notifications import nudge_due_follow_ups
from programmes.visits.invitations import expire_unanswered, remind_non_responders, top_up_all


@click.command("expert-reminders")
@with_appcontext
def expert_reminders_command() -> None:
    """Remind, once, each expert who has not answered an invitation after the visit's reminder delay, and
    expire the invitations still unanswered after its expiry delay; then, for each question with a target,
    invite the next experts on its shortlist in place of those who declined or did not answer."""
    click.echo(expert_reminders_job(None) + ".")


def expert_reminders_job(now: datetime | None) -> str:
    """The scheduler's run of ``flask expert-reminders`` (hourly)."""
    reminded = remind_non_responders(now)
    expired = expire_unanswered(now)
    invited = top_up_all()
    db.session.commit()
    return (
        f"{reminded} expert reminder(s) queued, {expired} invitation(s) expired, "
        f"{invited} expert(s) invited from shortlists"
    )


def refresh_all_embeddings(batch: int = 500) -> int:
    """Embed every expert whose stored vector is missing or stale, a batch at a time; how many were."""
    ids = db.session.scalars(select(Expert.id).order_by(Expert.id)).all()
    done = 0
    for start in range(0, len(ids), batch):
        experts = db.session.scalars(select(Expert).where(Expert.id.in_(ids[start : start + batch]))).all()
        done += refresh_embeddings(list(experts))
        db.session.commit()
    return done


@click.command("expert-embeddings")
@with_appcontext
def expert_embeddings_command() -> None:
    """Store the embedding of each expert's profile where it is missing or out of date (after an upgrade,
    or experts added before semantic matching): the visit page then reads them instead of embedding."""
    off = status()
    if off:
        raise click.ClickException(f"Semantic matching is off: {off}")
    click.echo(f"{refresh_all_embeddings()} expert profile(s) embedded.")


def expert_embeddings_job(now: datetime) -> str:
    """The scheduler's nightly run of ``flask expert-embeddings`` (a no-op when nothing changed)."""
    if status():
        return "semantic matching is off"
    return f"{refresh_all_embeddings()} expert profile(s) embedded"


@click.command("follow-up-nudges")
@with_appcontext
def follow_up_nudges_command() -> None:
    """Nudge, once, about each follow-up due today or before and not done: the fellow for her own, the
    organisers for the team's and the experts'."""
    click.echo(follow_up_nudges_job(None) + ".")


def follow_up_nudges_job(now: datetime | None) -> str:
    """The scheduler's daily run of ``flask follow-up-nudges`` (08:00, after the digest)."""
    nudged = nudge_due_follow_ups(to_local(now).date() if now else local_today())
    db.session.commit()
    return f"{nudged} follow-up nudge(s) queued"
