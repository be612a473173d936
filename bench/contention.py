"""Booking under contention, through HTTP against gunicorn on PostgreSQL: 200 fellows, each signed in
with a session of their own, ask for a place on an event with 20 places at the same moment.

The app's rule (events/bookings/services.py): a place is confirmed while one is free and nobody waits,
otherwise the booking joins the end of the waitlist; the event's row lock serialises the bookings of one
event. So exactly 20 must be confirmed and 180 waitlisted, with no error and no fellow booked twice."""

from __future__ import annotations

import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import func, select, update
from werkzeug.security import generate_password_hash

from bench.inprocess import csrf_token
from bench.served import Server, sign_in
from events.models import Booking, Event
from extensions import db
from fellows.models import User

FELLOWS = 200
PLACES = 20
PASSWORD = "contention-password-2016"  # noqa: S105 - a throwaway account's password in a throwaway database


@dataclass
class Contention:
    attempts: int
    places: int
    confirmed: int
    waitlisted: int
    statuses: dict[int, int]
    duplicates: int
    seconds: float
    median_ms: float
    p95_ms: float

    @property
    def rate(self) -> float:
        return self.attempts / self.seconds if self.seconds else 0.0

    @property
    def correct(self) -> bool:
        return (
            self.confirmed == min(self.places, self.attempts)
            and self.waitlisted == self.attempts - self.confirmed
            and self.duplicates == 0
            and set(self.statuses) <= {302, 303}
        )


def _prepare(app: Flask) -> tuple[int, list[str]]:
    """A new public event with 20 places in a month, and 200 fellows who have not booked it, with a cheap
    password hash (200 sign-ins with scrypt would cost the setup more than the bookings are worth)."""
    with app.app_context():
        starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
        event = Event(
            title="Contention: twenty places",
            kind="lunch",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            capacity=PLACES,
            audience="public",
            state="published",
            published_at=datetime.now(UTC),
        )
        db.session.add(event)
        fellows = db.session.scalars(
            select(User)
            .where(User.role == "fellow", User.active.is_(True), User.email.like("scaled.fellow.%"))
            .order_by(User.id)
            .limit(FELLOWS)
        ).all()
        cheap = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        db.session.execute(update(User).where(User.id.in_([f.id for f in fellows])).values(password_hash=cheap))
        db.session.commit()
        return event.id, [fellow.email for fellow in fellows]


def run(app: Flask, server: Server) -> Contention:
    event_id, emails = _prepare(app)
    path = f"/events/{event_id}"

    def ready(email: str):
        opener = sign_in(server, email, PASSWORD)
        page = opener.open(server.base + path, timeout=120).read().decode()
        return opener, csrf_token(page)

    with ThreadPoolExecutor(8) as pool:
        sessions = list(pool.map(ready, emails))

    barrier = threading.Barrier(len(sessions) + 1)
    results: list[tuple[int, float]] = [(0, 0.0)] * len(sessions)

    def book(n: int) -> None:
        opener, token = sessions[n]
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(opener.jar), _NoRedirect())
        data = urllib.parse.urlencode({"csrf_token": token}).encode()
        barrier.wait()
        started = time.perf_counter()
        try:
            status = opener.open(server.base + path + "/book", data=data, timeout=300).status
        except urllib.error.HTTPError as error:
            status = error.code
        results[n] = (status, time.perf_counter() - started)

    threads = [threading.Thread(target=book, args=(n,)) for n in range(len(sessions))]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started

    with app.app_context():
        states = dict(
            db.session.execute(
                select(Booking.state, func.count()).where(Booking.event_id == event_id).group_by(Booking.state)
            ).all()
        )
        duplicates = db.session.scalar(
            select(func.count()).select_from(
                select(Booking.user_id)
                .where(Booking.event_id == event_id)
                .group_by(Booking.user_id)
                .having(func.count() > 1)
                .subquery()
            )
        )
        db.session.remove()
    statuses: dict[int, int] = {}
    for status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    latencies = sorted(elapsed * 1000 for _, elapsed in results)
    return Contention(
        attempts=len(sessions),
        places=PLACES,
        confirmed=states.get("confirmed", 0),
        waitlisted=states.get("waitlisted", 0),
        statuses=statuses,
        duplicates=duplicates or 0,
        seconds=seconds,
        median_ms=statistics.median(latencies),
        p95_ms=latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))],
    )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """The booking answers with a redirect to the event page: count the answer, do not follow it."""

    def redirect_request(self, *_args, **_kwargs):
        return None
