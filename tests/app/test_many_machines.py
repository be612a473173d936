"""More than one machine: web processes that share nothing but the database and Redis, and two schedulers.

Two gunicorn servers (each a process of its own, as two machines would be) serve one database (the
test database: PostgreSQL in the PostgreSQL pass, the SQLite file in the SQLite pass) and one Redis
(db 3, a key prefix of this test's own):

- a change an organiser makes through one server's forms is seen at once through the other — on the
  event page, in the events list, in the public calendar feed and in the write-ups list — and a page's
  ETag handed out before the change no longer earns a 304 from either;
- signing out through one server ends a copy of the session on the other at once, although each web
  process keeps the people it serves between changes;
- sign-in throttling counts across both servers: ``tests/fellows/test_throttling_shared.py`` shows it (five
  failures in all, not five per server), so it is not repeated here;
- two ``flask scheduler`` processes started at once run each due job once: every queued email reaches a
  real SMTP server exactly once, and each reminder is queued once.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from extensions import db
from tests.conftest import PASSWORD
from tests.core.test_outbox import Collector
from tests.events_helpers import event_form
from tests.fellows.test_throttling_shared import _redis_or_skip as _redis_at_or_skip
from tests.fellows.test_throttling_shared import _sqlite_file_or_test_database
from tests.notes_helpers import make_note_fixture  # noqa: F401  (fixture)
from tests.servers import ROOT, browser, free_port, gunicorn, post_form, session_cookie

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
#: Behind a load balancer every machine sees the same Host; the test servers listen on two ports.
HOST = "events.example.org"


def _get(port: int, path: str, etag: str | None = None, *, cookie: str | None = None) -> tuple[int, str | None, str]:
    """A GET through ``HOST``, anonymous unless a session ``cookie`` is given: (status, ETag, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Host": HOST} | ({"If-None-Match": etag} if etag else {}) | ({"Cookie": cookie} if cookie else {})
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("ETag"), response.read().decode()
    finally:
        connection.close()


def _servers(app, tmp_path):
    prefix = f"test-many-{uuid.uuid4().hex}"
    environment = {"REDIS_URL": REDIS_URL, "CACHE_KEY_PREFIX": prefix + ":", "RATELIMIT_KEY_PREFIX": prefix}
    url = _sqlite_file_or_test_database(app)
    return (
        gunicorn(url, tmp_path / "one.log", workers=2, **environment),
        gunicorn(url, tmp_path / "two.log", workers=2, **environment),
    )


def test_a_change_through_one_server_is_seen_at_once_through_the_other(
    app, tmp_path, make_organiser, make_event, make_note
):
    _redis_at_or_skip(REDIS_URL)
    organiser = make_organiser(email="olu@example.org")
    starts = datetime(2030, 10, 15, 11, 30, tzinfo=UTC)  # 12:30 London time, as the form below types it
    event_id = make_event(title="Open lunch on AI", audience="public", starts_at=starts, capacity=3)
    past_event = make_event(title="Last month's roundtable", audience="public", starts_at=starts - timedelta(days=3000))
    note_id = make_note(past_event, state="draft", published_at=None, title="What the roundtable said")
    first_server, second_server = _servers(app, tmp_path)
    with first_server as one, second_server as two:
        # An anonymous visitor's copies, from the second server; the first answers them with 304s too.
        status, page_etag, page = _get(two, f"/events/{event_id}")
        assert status == 200 and "Open lunch on AI" in page
        assert _get(one, f"/events/{event_id}", page_etag)[0] == 304
        _, list_etag, _ = _get(two, "/events")
        _, feed_etag, feed = _get(two, "/calendar.ics")
        assert "Open lunch on AI" in feed and _get(two, "/calendar.ics", feed_etag)[0] == 304
        _, notes_etag, notes = _get(two, "/notes")
        assert "What the roundtable said" not in notes

        # The organiser works through the first server, with its forms and CSRF tokens.
        opener = browser(one)
        assert post_form(opener, "/login", {"email": organiser.email, "password": PASSWORD}) == 200
        edit = f"/organiser/events/{event_id}/edit"
        assert post_form(opener, edit, event_form(title="Open lunch on AI, renamed", audience="public")) == 200
        publish = f"/organiser/notes/{note_id}/publish"
        assert post_form(opener, publish, {}, token_from=f"/organiser/notes/{note_id}") == 200

        # At once, through the second server: old ETags earn no 304, and the pages show the change.
        for port in (two, one):
            status, new_etag, page = _get(port, f"/events/{event_id}", page_etag)
            assert status == 200 and "Open lunch on AI, renamed" in page and new_etag != page_etag
            status, _, listing = _get(port, "/events", list_etag)
            assert status == 200 and "Open lunch on AI, renamed" in listing
            status, _, notes = _get(port, "/notes", notes_etag)
            assert status == 200 and "What the roundtable said" in notes
        status, _, feed = _get(two, "/calendar.ics", feed_etag)
        assert status == 200 and "Open lunch on AI\\, renamed" in feed


def test_signing_out_through_one_server_ends_the_session_on_the_other_at_once(app, tmp_path, make_fellow):
    """Each web process keeps the people it serves between two changes (``fellows.user_cache``): signing out
    through one machine must still end every copy of the session on every other machine, at once."""
    _redis_at_or_skip(REDIS_URL)
    fellow = make_fellow(email="ada@example.org", name="Ada Lovelace")
    first_server, second_server = _servers(app, tmp_path)
    with first_server as one, second_server as two:
        laptop = browser(one)
        assert post_form(laptop, "/login", {"email": fellow.email, "password": PASSWORD}) == 200
        phone = session_cookie(two, fellow.email, PASSWORD)  # another device, through the other machine
        for _ in range(6):  # both workers of the second server have served her
            status, _, page = _get(two, "/my/bookings", cookie=phone)
            assert status == 200 and "Ada Lovelace" in page

        assert post_form(laptop, "/logout", {}, token_from="/my/bookings") == 200

        for port in (two, one):
            for _ in range(6):
                status, _, _ = _get(port, "/my/bookings", cookie=phone)
                assert status == 302  # to the sign-in page


class SlowCollector(Collector):
    """An SMTP server that takes a quarter of a second per message, so that one scheduler is still sending
    while the other starts: the two overlap, as on two machines, instead of one finishing first."""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        await asyncio.sleep(0.25)
        return await super().handle_DATA(server, session, envelope)


def test_two_schedulers_started_at_once_send_each_email_once(app, make_fellow, make_event, tmp_path):
    """Two `flask scheduler` processes on one database; the deterministic proof of the job lease is
    tests/core/test_scheduler.py (a second scheduler asking while the first runs), this is the deployed shape."""
    from core.models import OutboxMessage
    from events.bookings.services import book_place
    from events.models import Event
    from fellows.models import User

    event_id = make_event(
        title="Tomorrow's lunch", starts_at=datetime.now(UTC).replace(microsecond=0) + timedelta(hours=20)
    )
    fellows = [make_fellow(email=f"fellow{n}@example.org") for n in range(12)]
    with app.app_context():
        event = db.session.get(Event, event_id)
        for fellow in fellows:  # each booking queues a confirmation; the scheduler sends them
            book_place(db.session.get(User, fellow.id), event)
        db.session.commit()

    collector = SlowCollector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    environment = dict(
        os.environ,
        DATABASE_URL=_sqlite_file_or_test_database(app),
        SECRET_KEY="served-test-secret-key-0123456789abcdef",
        MAIL_TRANSPORT="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(port),
        MAIL_SEND_ON_COMMIT="false",
        BASE_URL="http://127.0.0.1:5000",
    )
    command = [sys.executable, "-m", "flask", "--app", "app", "scheduler", "--once"]
    try:
        schedulers = [
            subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            for _ in range(2)
        ]
        outputs = [scheduler.communicate(timeout=300)[0].decode() for scheduler in schedulers]
    finally:
        controller.stop()
    assert all(scheduler.returncode == 0 for scheduler in schedulers), outputs

    delivered = [(message["To"], message["Subject"]) for message in collector.messages]
    assert len(delivered) == len(set(delivered)), f"an email was sent twice: {delivered}\n{outputs}"
    confirmations = {to for to, subject in delivered if "confirmed" in subject.lower()}
    assert confirmations >= {fellow.email for fellow in fellows}, delivered
    with app.app_context():
        sent = db.session.scalar(select(func.count()).where(OutboxMessage.status == "sent"))
        reminders = db.session.scalars(select(OutboxMessage.to_address).where(OutboxMessage.kind == "reminder")).all()
    assert sent == len(delivered)  # every message marked sent reached the server, once
    assert sorted(reminders) == sorted(fellow.email for fellow in fellows), outputs  # one reminder each
    reported = sum(
        int(line.split()[1])
        for output in outputs
        for line in output.splitlines()
        if line.startswith("mail: ") and "sent" in line
    )
    assert reported == len(delivered), outputs
