"""Issue 13's soak: 50 fellows book, cancel and read pages and feeds for SOAK_SECONDS (60 by default)
against gunicorn (2 workers) on PostgreSQL; `make soak` runs it, and `make test` in its PostgreSQL pass.

Nothing may answer 5xx or drop a connection, no worker may die, and afterwards the database and the
mail outbox must agree exactly with what the clients did. Each fellow is one client thread and the only
one who changes their own bookings, so it knows what it holds; the page after each booking POST says
whether the place was confirmed or waitlisted, and the page after a cancel POST says whether a place
or a waitlist spot was given up. From that log alone follow each fellow's final booking state, and,
for each fellow and event, the exact sequence of emails (confirmed, waitlisted, promoted, cancelled)
the outbox must hold; the mail sender is off under gunicorn, so every email stays queued to be counted.
The events have 2 to 20 places, so waitlists form and promotions happen all the time.

A summary line (requests, req/s, p50/p95 latency, bookings, cancellations, emails) is printed and
written to soak-summary.txt in the test's tmp directory, and is part of every failure message.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import statistics
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from bench.scale import scale_up
from core.lib.tokens import hash_token, new_token
from core.models import OutboxMessage
from events.models import Booking, Event
from extensions import db
from fellows.models import User
from tests.conftest import PASSWORD, database_url
from tests.servers import gunicorn

pytestmark = pytest.mark.postgres
SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "60"))
SEED = int(os.environ.get("SOAK_SEED", "13"))
USERS = 50
CAPACITIES = (2, 4, 10, 20)
BOOKING_EMAILS = ("booking_confirmed", "booking_waitlisted", "booking_promoted", "booking_cancelled")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CANCEL_FORM = re.compile(r'action="/bookings/(\d+)/cancel"')
WAITLISTED = re.compile(r"on the waitlist at position (\d+)\.")


@dataclass
class Answer:
    """One request a client made, and what came back."""

    user: int
    what: str
    path: str
    status: int
    seconds: float
    expected: tuple[int, ...]


@dataclass
class Step:
    """A booking change the app reported: ("book", "confirmed" | "waitlisted", position) or
    ("cancel", "confirmed" | "waitlisted", None) — the state the booking was in when it was given up."""

    action: str
    state: str
    position: int | None = None


@dataclass
class Fellow:
    """One simulated fellow: a signed-in client that books, cancels and reads, and remembers what it did."""

    index: int
    user_id: int
    email: str
    feed: str  # the path of the fellow's personal calendar feed
    port: int
    events: list[int]
    reads: list[str]
    cookie: str = ""
    answers: list[Answer] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    steps: dict[int, list[Step]] = field(default_factory=lambda: defaultdict(list))
    active: set[int] = field(default_factory=set)  # events where this fellow holds a place or a waitlist spot
    booking_ids: dict[int, int] = field(default_factory=dict)
    etags: dict[str, str] = field(default_factory=dict)

    # HTTP ---------------------------------------------------------------------------------------

    def request(self, what, method, path, *, form=None, headers=None, expected=(200,)):
        """Send one request with this fellow's session cookie; record it. The response, or None."""
        headers = dict(headers or {}, Cookie=self.cookie)
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:  # a dropped connection or a dead worker
            self.failures.append(f"{method} {path}: {error!r}")
            return None
        finally:
            connection.close()
        self.answers.append(Answer(self.index, what, path, response.status, time.monotonic() - started, expected))
        for cookie in response.msg.get_all("Set-Cookie") or []:
            if cookie.startswith("session="):
                self.cookie = cookie.split(";", 1)[0]
        return response if response.status in expected else None

    def follow(self, what, response):
        """GET where a POST redirected to (the event page, which states the result)."""
        location = urllib.parse.urlsplit(response.getheader("Location"))
        return self.request(what, "GET", location.path + (f"?{location.query}" if location.query else ""))

    def sign_in(self) -> None:
        """Sign in as a browser does (setup: not counted in the soak's figures)."""
        page = self.request("sign-in", "GET", "/login")
        token = CSRF.search(page.text).group(1)
        form = {"email": self.email, "password": PASSWORD, "csrf_token": token}
        assert self.request("sign-in", "POST", "/login", form=form, expected=(302,)), self.answers[-1]
        self.answers.clear()

    # What a fellow does ---------------------------------------------------------------------------

    def run(self, deadline: float, rng: random.Random) -> None:
        try:
            self.act_until(deadline, rng)
        except Exception as error:  # a page without the form it should have: the client cannot go on
            self.failures.append(f"{self.email} stopped: {error!r}")

    def act_until(self, deadline: float, rng: random.Random) -> None:
        """A quarter of the time book, a quarter cancel (book instead when holding nothing), else read."""
        while time.monotonic() < deadline:
            roll, held = rng.random(), sorted(self.active)
            free = [event for event in self.events if event not in self.active]
            if roll < 0.25 or roll < 0.5 and not held:
                # Now and then book again where the fellow already holds a place: refused with 409.
                self.book(rng.choice(free if free and rng.random() < 0.9 else self.events))
            elif roll < 0.5:
                # Now and then send a "Cancel" form again, perhaps a stale one: 409 and nothing changes.
                self.cancel(rng.choice(held if rng.random() < 0.9 else sorted(self.booking_ids)))
            else:
                self.read(rng)

    def book(self, event_id: int) -> None:
        page = self.request("event page", "GET", f"/events/{event_id}")
        if page is None:
            return
        holds = event_id in self.active
        token = CSRF.search(page.text).group(1)
        path = f"/events/{event_id}/book"
        response = self.request("book", "POST", path, form={"csrf_token": token}, expected=(409,) if holds else (302,))
        if response is None or holds:
            return
        self.active.add(event_id)
        page = self.follow("after book", response)
        if page is None:
            self.steps[event_id].append(Step("book", "unknown"))
            return
        if "Your place is confirmed." in page.text:
            self.steps[event_id].append(Step("book", "confirmed"))
        elif match := WAITLISTED.search(page.text):
            self.steps[event_id].append(Step("book", "waitlisted", int(match.group(1))))
        else:
            self.steps[event_id].append(Step("book", "unknown"))
            self.failures.append(f"POST {path}: the page after it does not say what happened")
        if match := CANCEL_FORM.search(page.text):
            self.booking_ids[event_id] = int(match.group(1))

    def cancel(self, event_id: int) -> None:
        page = self.request("event page", "GET", f"/events/{event_id}")
        if page is None:
            return
        holds = event_id in self.active
        token = CSRF.search(page.text).group(1)
        if holds:
            button = CANCEL_FORM.search(page.text)
            if button is None:
                self.failures.append(f"GET /events/{event_id}: no cancel button for a booking held")
                return
            self.booking_ids[event_id] = int(button.group(1))
        path = f"/bookings/{self.booking_ids[event_id]}/cancel"
        response = self.request(
            "cancel", "POST", path, form={"csrf_token": token}, expected=(302,) if holds else (409,)
        )
        if response is None or not holds:
            return
        self.active.discard(event_id)
        page = self.follow("after cancel", response)
        if page is None:
            self.steps[event_id].append(Step("cancel", "unknown"))
        elif "Your booking is cancelled." in page.text:
            self.steps[event_id].append(Step("cancel", "confirmed"))
        elif "You have left the waitlist." in page.text:
            self.steps[event_id].append(Step("cancel", "waitlisted"))
        else:
            self.steps[event_id].append(Step("cancel", "unknown"))
            self.failures.append(f"POST {path}: the page after it does not say what happened")

    def read(self, rng: random.Random) -> None:
        path = rng.choice([*self.reads, f"/events/{rng.choice(self.events)}", self.feed, self.feed])
        if path.endswith(".ics") and path in self.etags and rng.random() < 0.5:
            # Calendar apps poll with the ETag they have.
            self.request(
                "feed (conditional)", "GET", path, headers={"If-None-Match": self.etags[path]}, expected=(200, 304)
            )
            return
        response = self.request("feed" if path.endswith(".ics") else "page", "GET", path)
        if response is not None and response.getheader("ETag"):
            self.etags[path] = response.getheader("ETag")


# Setting up ---------------------------------------------------------------------------------------


def soak_data(app, runner, make_event) -> tuple[list[tuple[int, str, str]], dict[int, int], list[str]]:
    """Demo data scaled up a little, the soak's fellows and its small events.

    Returns the fellows (id, email, personal feed path), the events' capacities and the pages to read.
    """
    assert runner.invoke(args=["demo"]).exit_code == 0
    events = {
        make_event(title=f"Soak lunch {n} ({capacity} places)", capacity=capacity, audience=audience): capacity
        for n, (capacity, audience) in enumerate(
            zip(CAPACITIES, ("public", "fellows", "fellows", "public"), strict=True)
        )
    }
    with app.app_context():
        scaled = scale_up(1 / 64)
        # A cheap hash: 50 sign-ins with scrypt would cost the setup more CPU than a minute of booking
        # is worth; signing in is not what this soak measures.
        password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        tokens = [new_token() for _ in range(USERS)]
        users = [
            User(
                email=f"soak.fellow.{n:02}@example.org",
                name=f"Soak Fellow {n:02}",
                role="fellow",
                password_hash=password_hash,
                sector="government",
                cohort=2024,
                visibility="fellows",
                calendar_token_hash=hash_token(tokens[n]),
            )
            for n in range(USERS)
        ]
        db.session.add_all(users)
        db.session.commit()
        fellows = [(user.id, user.email, f"/calendar/{tokens[n]}.ics") for n, user in enumerate(users)]
        db.session.remove()
    reads = [
        "/",
        "/events",
        "/events?when=past",
        f"/events/{scaled.big_event_id}",
        "/notes",
        f"/notes/{scaled.public_note_id}",
        "/notes/feed.atom",
        "/calendar.ics",
        "/fellows",
        "/fellows?q=soak",
        "/my/bookings",
        "/my/calendar",
    ]
    return fellows, events, reads


def page_name(path: str) -> str:
    """A path with its ids and secrets taken out, to group the timings by page."""
    path = re.sub(r"^/calendar/[^/]+\.ics$", "/calendar/<secret>.ics", path.split("?")[0])
    return re.sub(r"/\d+", "/<id>", path)


def percentile(values: list[float], percent: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1] if len(values) > 1 else values[0]


# Reconciling --------------------------------------------------------------------------------------


def expected_emails(steps: list[Step], final_state: str | None) -> list[str]:
    """The emails one fellow must have had about one event, in order, given what the app told them.

    A waitlisted booking was promoted exactly when it was later given up as a confirmed place, or
    when it ends the soak confirmed.
    """
    kinds = []
    for n, step in enumerate(steps):
        if step.action == "book":
            kinds.append(f"booking_{step.state}")
            if step.state == "waitlisted":
                given_up = steps[n + 1] if n + 1 < len(steps) else None
                ended = given_up.state if given_up else final_state
                if ended == "confirmed":
                    kinds.append("booking_promoted")
        else:
            kinds.append("booking_cancelled")
    return kinds


def reconcile(fellows: list[Fellow], events: dict[int, int], first_new_email: int) -> tuple[list[str], Counter]:
    """Compare the database and the outbox with the clients' log; the discrepancies, and counts."""
    problems: list[str] = []
    counts: Counter = Counter()
    users = {fellow.user_id: fellow for fellow in fellows}
    titles = {}
    bookings = {}
    for event_id, capacity in events.items():
        event = db.session.get(Event, event_id)
        titles[event.title] = event_id
        rows = db.session.scalars(select(Booking).where(Booking.event_id == event_id)).all()
        states = Counter(row.state for row in rows)
        if states["confirmed"] > capacity:
            problems.append(f"{event.title}: {states['confirmed']} confirmed for {capacity} places")
        if states["waitlisted"] and states["confirmed"] < capacity:
            problems.append(f"{event.title}: {states['waitlisted']} waiting while a place is free")
        positions = sorted(row.waitlist_position for row in rows if row.state == "waitlisted")
        if positions != list(range(1, len(positions) + 1)):
            problems.append(f"{event.title}: waitlist positions {positions}")
        holders = {fellow.user_id for fellow in fellows if event_id in fellow.active}
        if states["confirmed"] + states["waitlisted"] != len(holders):
            problems.append(f"{event.title}: {dict(states)} but {len(holders)} fellows' last action was a booking")
        for row in rows:
            bookings[(row.user_id, event_id)] = row.state
            if row.user_id not in users:
                problems.append(f"{event.title}: booking {row.id} of someone who is not a soak fellow")
        counts["confirmed now"] += states["confirmed"]
        counts["waitlisted now"] += states["waitlisted"]

    messages = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.id >= first_new_email).order_by(OutboxMessage.id)
    ).all()
    counts["emails"] = len(messages)
    received = defaultdict(list)
    for message in messages:
        event_id = titles.get(message.subject.rsplit(": ", 1)[-1])
        if message.kind not in BOOKING_EMAILS or message.user_id not in users or event_id is None:
            problems.append(
                f"an email nobody's request explains: {message.kind} to {message.to_address}: {message.subject}"
            )
            continue
        if message.status != "queued":
            problems.append(f"email {message.id} is {message.status}: the sender ran during the soak")
        received[(message.user_id, event_id)].append(message)

    for fellow in fellows:
        for event_id in events:
            steps = fellow.steps.get(event_id, [])
            state = bookings.get((fellow.user_id, event_id))
            held = event_id in fellow.active
            if held and state not in ("confirmed", "waitlisted") or not held and state not in (None, "cancelled"):
                problems.append(f"{fellow.email}, event {event_id}: {state} in the database, last action {steps[-1:]}")
            if steps and steps[-1].action == "book" and steps[-1].state == "confirmed" and state != "confirmed":
                problems.append(f"{fellow.email}, event {event_id}: confirmed, then {state} without cancelling")
            mail = received.get((fellow.user_id, event_id), [])
            wanted = expected_emails(steps, state)
            if [message.kind for message in mail] != wanted:
                kinds = [message.kind for message in mail]
                problems.append(f"{fellow.email}, event {event_id}: emails {kinds}, expected {wanted} from {steps}")
                continue
            waitlisted = iter(step.position for step in steps if step.action == "book" and step.state == "waitlisted")
            given_up = iter(step.state for step in steps if step.action == "cancel")
            for message in mail:
                counts[message.kind] += 1
                if message.kind == "booking_waitlisted" and f"number {next(waitlisted)} on" not in message.subject:
                    problems.append(f"{fellow.email}: {message.subject!r} is not the position the page showed")
                if message.kind == "booking_cancelled" and (message.attachment_data is not None) != (
                    next(given_up) == "confirmed"
                ):
                    problems.append(f"{fellow.email}: cancellation {message.id} and its page disagree on its .ics")
    return problems, counts


# The soak -----------------------------------------------------------------------------------------


def test_fifty_fellows_book_cancel_and_read_for_a_minute(app, runner, make_event, tmp_path):
    if not database_url():  # `make test` runs it only in its PostgreSQL pass
        pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL")
    started = time.monotonic()
    users, events, reads = soak_data(app, runner, make_event)
    with app.app_context():
        first_new_email = (db.session.scalar(select(func.max(OutboxMessage.id))) or 0) + 1
        db.session.remove()

    log = tmp_path / "gunicorn.log"
    with gunicorn(database_url(), log, workers=2) as port:
        fellows = [Fellow(n, *user, port, list(events), reads) for n, user in enumerate(users)]
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(Fellow.sign_in, fellows))
        setup = time.monotonic() - started
        deadline = time.monotonic() + SOAK_SECONDS
        soak_started = time.monotonic()
        threads = [
            threading.Thread(target=fellow.run, args=(deadline, random.Random(SEED * 1000 + fellow.index)))
            for fellow in fellows
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - soak_started

    with app.app_context():
        problems, counts = reconcile(fellows, events, first_new_email)
        db.session.remove()

    answers = [answer for fellow in fellows for answer in fellow.answers]
    failures = [failure for fellow in fellows for failure in fellow.failures]
    server_errors = [answer for answer in answers if answer.status >= 500]
    unexpected = [answer for answer in answers if answer.status not in answer.expected]
    latencies = [answer.seconds for answer in answers]
    steps = [step for fellow in fellows for history in fellow.steps.values() for step in history]
    books = Counter(step.state for step in steps if step.action == "book")
    cancels = Counter(step.state for step in steps if step.action == "cancel")
    refused = Counter(answer.what for answer in answers if answer.status == 409)
    summary = (
        f"soak: {len(answers)} requests in {elapsed:.0f} s ({len(answers) / elapsed:.0f}/s) by {USERS} fellows, "
        f"p50 {percentile(latencies, 50) * 1000:.0f} ms, p95 {percentile(latencies, 95) * 1000:.0f} ms, "
        f"max {max(latencies) * 1000:.0f} ms; 5xx {len(server_errors)}, connection failures {len(failures)}; "
        f"bookings {sum(books.values())} ({books['confirmed']} confirmed, {books['waitlisted']} waitlisted, "
        f"{refused['book']} refused), cancellations {sum(cancels.values())} ({cancels['confirmed']} places, "
        f"{cancels['waitlisted']} waitlist; {refused['cancel']} refused), promotions {counts['booking_promoted']}; "
        f"emails {counts['emails']}; now {counts['confirmed now']} confirmed, {counts['waitlisted now']} waiting; "
        f"setup {setup:.0f} s"
    )
    by_page = defaultdict(list)
    for answer in answers:
        by_page[f"{page_name(answer.path)} ({answer.what})"].append(answer.seconds)
    slowest = sorted(by_page.items(), key=lambda item: -statistics.median(item[1]))
    (tmp_path / "soak-summary.txt").write_text(
        summary
        + "\nmedian by page:\n"
        + "".join(f"  {statistics.median(times) * 1000:6.0f} ms  {len(times):5}  {page}\n" for page, times in slowest)
    )
    print(f"\n{summary}\n(also in {tmp_path / 'soak-summary.txt'})")

    output = log.read_text(errors="replace")
    killed = re.findall(r"Worker \(pid:\d+\) was sent \w+|WORKER TIMEOUT", output)
    assert not killed and "Fatal Python error" not in output, f"{summary}\nworkers died: {killed}\n{output[-5000:]}"
    assert not server_errors, f"{summary}\n{server_errors[:10]}\n{output[-5000:]}"
    assert not failures, f"{summary}\n{failures[:10]}"
    assert not unexpected, f"{summary}\n{unexpected[:10]}"
    assert not problems, f"{summary}\n" + "\n".join(problems[:20])
    # The mix did what it is for: places ran out, people waited and were promoted, and mail reconciled.
    assert books["confirmed"] and books["waitlisted"] and cancels["confirmed"] and counts["booking_promoted"], summary
    assert counts["emails"] == sum(books.values()) + sum(cancels.values()) + counts["booking_promoted"], summary
