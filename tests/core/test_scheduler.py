"""The scheduler (``flask scheduler``): one process runs the background work — emails, reminders,
experts' reminders, the digest, the purge — and a job is never run by two schedulers at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.models import JobRun, OutboxMessage
from core.registry import ScheduledJob, scheduled_jobs
from core.scheduler import build_scheduler, claim, run_job
from extensions import db


def test_once_runs_every_job_and_a_second_run_repeats_nothing(app, runner, make_fellow, make_event, login, client):
    fellow = make_fellow()
    event_id = make_event(starts_at=datetime.now(UTC).replace(microsecond=0) + timedelta(hours=20))
    app.config["MAIL_SEND_ON_COMMIT"] = False
    login(fellow).post(f"/events/{event_id}/book")  # queues a confirmation
    client.post("/password/forgot", data={"email": fellow.email})

    first = runner.invoke(args=["scheduler", "--once"])
    assert first.exit_code == 0, first.output
    assert "reminders: 1 reminder(s) queued" in first.output
    assert {"mail", "reminders", "expert-reminders", "digest", "purge"} <= {
        line.split(":")[0] for line in first.output.splitlines()
    }
    with app.app_context():
        kinds = {m.kind: m.status for m in db.session.scalars(select(OutboxMessage))}
    assert kinds["booking_confirmed"] == "sent" and kinds["password_reset"] == "sent"
    assert kinds["reminder"] == "queued"  # queued by this run, after the mail job: the next minute sends it

    second = runner.invoke(args=["scheduler", "--once"])
    assert "reminders: 0 reminder(s) queued" in second.output and "mail: 1 sent" in second.output
    with app.app_context():
        runs = {run.name: run for run in db.session.scalars(select(JobRun))}
    assert runs["reminders"].last_result == "0 reminder(s) queued" and runs["reminders"].running_until is None


def test_a_job_claimed_by_one_scheduler_is_skipped_by_another(app):
    now = datetime.now(UTC)
    with app.app_context():
        assert claim("mail", now) is True
        assert claim("mail", now) is False  # held by the first until it finishes or its lease runs out
        assert run_job("mail", scheduled_jobs.items()[0][1], now) is None
        assert claim("mail", now + timedelta(hours=1)) is True  # a crashed run's lease expires


def test_two_schedulers_running_at_once_run_a_job_once(app):
    """The second scheduler asks while the first is still running the job (held there until it has asked)."""
    runs: list[int] = []
    started, release = threading.Event(), threading.Event()

    def slow(now: datetime) -> str:
        runs.append(1)
        started.set()
        release.wait(30)
        return "done"

    job = ScheduledJob(slow, minutes=1)
    reports: list[str | None] = []

    def scheduler() -> None:
        with app.app_context():
            reports.append(run_job("slow", job))
            db.session.remove()

    first, second = threading.Thread(target=scheduler), threading.Thread(target=scheduler)
    first.start()
    assert started.wait(30)
    second.start()
    second.join(30)
    assert reports == [None]  # the second found the job taken and ran nothing
    release.set()
    first.join(30)
    assert len(runs) == 1 and reports == [None, "done"]


def test_a_failing_job_is_recorded_and_does_not_stop_the_others(app):
    def broken(now: datetime) -> str:
        raise RuntimeError("SMTP server on fire")

    with app.app_context():
        assert run_job("broken", ScheduledJob(broken, minutes=1)) == "RuntimeError: SMTP server on fire"
        run = db.session.get(JobRun, "broken")
        assert run.last_failed and run.running_until is None
        assert run_job("fine", ScheduledJob(lambda now: "ok", minutes=1)) == "ok"


def test_the_scheduler_times_every_registered_job(app):
    scheduler = build_scheduler(app)
    jobs = {job.id: str(job.trigger) for job in scheduler.get_jobs()}
    assert jobs["mail"].startswith("interval[0:01:00]") and jobs["reminders"].startswith("interval[0:05:00]")
    assert "hour='7', minute='0'" in jobs["digest"] and "hour='3', minute='30'" in jobs["purge"]
