"""``flask --app app scheduler``: one process that runs all background work — sending queued emails,
reminders, experts' reminders, the organisers' digest, the retention purge — so a deployment needs no
cron, and ``make run`` sends its reminders on a fresh checkout.

Areas register their jobs in ``core.registry.scheduled_jobs``. Run one scheduler per deployment; if two
run (two machines, a restart overlapping the old process), each job is still run by one at a time: a
scheduler claims a job with a conditional UPDATE of its ``job_runs`` row (a lease), and every job is
idempotent anyway (dedupe keys, claimed messages). APScheduler times the jobs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import click
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import or_, update

from core.mail import deliver_due
from core.models import JobRun, utcnow
from core.registry import ScheduledJob, scheduled_jobs
from core.retention import purge
from core.upsert import insert_missing
from extensions import db

#: How long a claimed job is held before another scheduler may take it (a crashed run frees it then).
LEASE = timedelta(minutes=30)


def claim(name: str, now: datetime) -> bool:
    """Take the job for this scheduler, or False if another holds it."""
    insert_missing(JobRun, [{"name": name}])
    claimed = db.session.execute(
        update(JobRun)
        .where(JobRun.name == name, or_(JobRun.running_until.is_(None), JobRun.running_until < now))
        .values(running_until=now + LEASE, last_started_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return claimed == 1


def run_job(name: str, job: ScheduledJob, now: datetime | None = None) -> str | None:
    """Run one job if no other scheduler is running it; its report, or None when it was not ours to run.

    A failing job is recorded (and logged), never allowed to stop the scheduler.
    """
    now = now or utcnow()
    if not claim(name, now):
        return None
    failed = False
    try:
        report = job.run(now)
    except Exception as error:  # noqa: BLE001  (any failure is recorded; the next run tries again)
        db.session.rollback()
        current_app.logger.exception("Scheduled job %s failed", name)
        report, failed = f"{type(error).__name__}: {error}", True
    db.session.execute(
        update(JobRun)
        .where(JobRun.name == name)
        .values(running_until=None, last_finished_at=utcnow(), last_result=report[:2000], last_failed=failed)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return report


def _send_mail(now: datetime) -> str:
    sent, failed = deliver_due(now=now)
    return f"{sent} sent, {failed} failed attempts"


def _purge(now: datetime) -> str:
    removed = purge(now)
    return ", ".join(f"{count} {what}" for what, count in removed.items()) + " removed"


scheduled_jobs.register("mail", ScheduledJob(_send_mail, minutes=1), order=10)
scheduled_jobs.register("purge", ScheduledJob(_purge, at="03:30"), order=90)


def build_scheduler(app: Flask) -> BlockingScheduler:
    """An APScheduler with every registered job, each run inside an app context."""
    zone = app.config["TIMEZONE"]
    scheduler = BlockingScheduler(timezone=zone, job_defaults={"coalesce": True, "max_instances": 1})
    for name, job in scheduled_jobs.items():

        def run(name: str = name, job: ScheduledJob = job) -> None:
            with app.app_context():
                report = run_job(name, job)
                if report is not None:
                    app.logger.info("%s: %s", name, report)

        if job.minutes:
            trigger = IntervalTrigger(minutes=job.minutes, timezone=zone)
        else:
            hour, minute = (int(part) for part in (job.at or "03:00").split(":"))
            trigger = CronTrigger(hour=hour, minute=minute, timezone=zone)
        scheduler.add_job(run, trigger, id=name, name=name, misfire_grace_time=300)
    return scheduler


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Run every job once now and stop (for cron or a check).")
@with_appcontext
def scheduler_command(once: bool) -> None:
    """Run the background jobs (emails, reminders, digest, purge) on their schedules; Ctrl-C stops."""
    if once:
        for name, job in scheduled_jobs.items():
            report = run_job(name, job)
            click.echo(f"{name}: {report if report is not None else 'running elsewhere, skipped'}")
        return
    app = current_app._get_current_object()
    scheduler = build_scheduler(app)
    names = ", ".join(f"{job.name} ({job.trigger})" for job in scheduler.get_jobs())
    click.echo(f"Scheduler running: {names}")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
