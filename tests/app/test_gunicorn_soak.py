"""The app under gunicorn on PostgreSQL, with data at 1/16 of a large programme, under a bounded load across
the main pages: no worker may die (gunicorn logs every worker killed by a signal) and no page may fail.

This is the guard for issue 14 (workers killed by SIGSEGV on CPython 3.11). It runs for SOAK_SECONDS
(10 by default) with four clients; it needs PostgreSQL, as deployments do. tests/app/test_soak.py (issue 13)
loads the same public and fellows' pages, with bookings, for a minute; this one keeps the organisers'
pages on the larger data (1/16).
"""

from __future__ import annotations

import http.client
import os
import re
import threading
import time

import pytest

from bench.scale import scale_up
from extensions import db
from tests.conftest import database_url
from tests.servers import gunicorn, session_cookie

pytestmark = pytest.mark.postgres
SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "10"))
CLIENTS = 4


def test_no_worker_dies_under_a_bounded_load_on_scaled_data(app, runner, tmp_path):
    if not database_url():  # `make test` runs it only in its PostgreSQL pass
        pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL")
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        scaled = scale_up(1 / 16)
        db.session.remove()

    log = tmp_path / "gunicorn.log"
    # Many threads share one fellow's and one organiser's sessions, faster than any person: the per-person
    # limit on searches and exports (tests/fellows/test_throttling.py) would refuse them, so it is raised.
    with gunicorn(database_url(), log, workers=2, COSTLY_RATE_LIMIT="1000000 per minute") as port:
        cookies = {
            None: "",
            "fellow": session_cookie(port, scaled.fellow_email, scaled.password),
            "organiser": session_cookie(port, scaled.organiser_email, scaled.password),
        }
        big = scaled.big_event_id
        pages = [
            ("/", None),
            ("/", "fellow"),
            ("/events", None),
            ("/events?when=past", None),
            (f"/events/{big}", None),
            ("/notes", None),
            (f"/notes/{scaled.public_note_id}", None),
            ("/notes/feed.atom", None),
            ("/calendar.ics", None),
            ("/fellows", "fellow"),
            ("/fellows?q=hart", "fellow"),
            ("/my/bookings", "fellow"),
            (f"/organiser/events/{big}/attendees", "organiser"),
            (f"/organiser/events/{big}/attendees?find=amara", "organiser"),
            (f"/organiser/events/{big}/attendees.csv", "organiser"),
            ("/organiser/events", "organiser"),
        ]
        answers: list[tuple[str, int]] = []
        failures: list[str] = []
        deadline = time.monotonic() + SOAK_SECONDS

        def client(offset: int) -> None:
            n = offset
            while time.monotonic() < deadline:
                path, who = pages[n % len(pages)]
                n += 1
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    connection.request("GET", path, headers={"Cookie": cookies[who]} if who else {})
                    response = connection.getresponse()
                    response.read()
                    answers.append((path, response.status))
                except (OSError, http.client.HTTPException) as error:  # a worker that died mid-request
                    failures.append(f"{path}: {error!r}")

        threads = [threading.Thread(target=client, args=(n * 3,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    output = log.read_text(errors="replace")
    killed = re.findall(r"Worker \(pid:\d+\) was sent \w+", output)
    assert not killed and "Fatal Python error" not in output, f"workers died: {killed}\n{output[-5000:]}"
    assert not failures, failures[:5]
    errors = [(path, status) for path, status in answers if status != 200]
    assert not errors, errors[:10]
    assert len(answers) >= len(pages), f"only {len(answers)} requests in {SOAK_SECONDS} s"
    print(f"{len(answers)} requests in {SOAK_SECONDS:.0f} s on {scaled.fellows} fellows, {scaled.bookings} bookings")
