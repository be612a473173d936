"""The outbox never loses a message: it commits with the change that caused it, survives a mail server
that is down, retries with growing delays, gives up after a limit and can be retried by an organiser.
Delivery is tested against a real SMTP server (aiosmtpd) listening on 127.0.0.1."""

from __future__ import annotations

import email
import socket
from datetime import timedelta
from email import policy

import icalendar
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from core import mail as outbox_mail
from core.models import OutboxMessage, utcnow
from events.models import Booking, Event
from extensions import db
from fellows.models import User


class Collector:
    """An aiosmtpd handler that keeps every message it is given (parsed, and the bytes as received), and
    refuses the recipients in ``refused`` with the reply given there ("550 5.1.1 …"), as a real server would."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.raw: list[bytes] = []
        self.refused: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's hook
        if address.lower() in self.refused:
            return self.refused[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.raw.append(envelope.content)
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(app):
    """A real SMTP server on 127.0.0.1, initially stopped; the app is set to deliver to it."""
    collector = Collector()
    port = _free_port()
    app.config.update(MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=5)

    class Server:
        messages = collector.messages
        raw = collector.raw
        refused = collector.refused
        controller: Controller | None = None

        def start(self):
            self.controller = Controller(collector, hostname="127.0.0.1", port=port)
            self.controller.start()

        def stop(self):
            if self.controller is not None:
                self.controller.stop()
                self.controller = None

    server = Server()
    yield server
    server.stop()


def _book(app, event_id: int, user_id: int) -> None:
    from events.bookings.services import book_place

    with app.app_context():
        book_place(db.session.get(User, user_id), db.session.get(Event, event_id))
        db.session.commit()


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_a_booking_and_its_email_are_saved_together_or_not_at_all(app, make_event, make_fellow):
    from events.bookings.services import book_place

    fellow = make_fellow()
    event_id = make_event(title="Policy lunch")
    with app.app_context():
        book_place(db.session.get(User, fellow.id), db.session.get(Event, event_id))
        assert _count(Booking) == 1 and _count(OutboxMessage) == 1  # both pending in one transaction
        db.session.rollback()
        assert _count(Booking) == 0 and _count(OutboxMessage) == 0
    _book(app, event_id, fellow.id)
    with app.app_context():
        booking = db.session.scalar(select(Booking))
        message = db.session.scalar(select(OutboxMessage))
        assert booking.state == "confirmed"
        assert (message.kind, message.to_address, message.status) == ("booking_confirmed", fellow.email, "queued")


def test_a_failed_request_leaves_neither_booking_nor_email(app, login, make_event, make_fellow, outbox):
    """A booking the service refuses (already booked) rolls back: no second row, no second email."""
    fellow = make_fellow()
    event_id = make_event()
    client = login(fellow)
    assert client.post(f"/events/{event_id}/book", data={}).status_code == 302
    assert client.post(f"/events/{event_id}/book", data={}).status_code == 409
    with app.app_context():
        assert _count(Booking) == 1
    assert [m.kind for m in outbox()] == ["booking_confirmed"]


def test_mail_server_down_loses_nothing_and_a_later_run_delivers(app, smtp, make_event, make_fellow):
    fellow = make_fellow(name="Ada Lovelace")
    event_id = make_event(title="Quantum policy lunch")
    _book(app, event_id, fellow.id)
    with app.app_context():
        # The server is stopped: the attempt fails and the message waits.
        assert outbox_mail.deliver_due() == (0, 1)
        message = db.session.scalar(select(OutboxMessage))
        assert message.status == "queued" and message.attempts == 1
        assert "Connection refused" in message.last_error or "Errno" in message.last_error
        wait = message.next_attempt_at - utcnow()
        assert timedelta(seconds=50) < wait <= timedelta(minutes=1)
        # Running again straight away does not hammer the server.
        assert outbox_mail.deliver_due() == (0, 0)

        smtp.start()
        assert outbox_mail.deliver_due(now=utcnow() + timedelta(minutes=2)) == (1, 0)
        message = db.session.scalar(select(OutboxMessage))
        assert message.status == "sent" and message.sent_at is not None and message.last_error is None
        # Delivered once only, even when the sender runs again.
        assert outbox_mail.deliver_due(now=utcnow() + timedelta(hours=1)) == (0, 0)

    assert len(smtp.messages) == 1
    received = smtp.messages[0]
    assert received["To"] == fellow.email
    assert received["Subject"] == "Your place is confirmed: Quantum policy lunch"
    assert received["Auto-Submitted"] == "auto-generated"
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert "Dear Ada Lovelace" in text and f"/events/{event_id}" in text
    assert f"/events/{event_id}" in html
    [invitation] = list(received.iter_attachments())
    assert invitation.get_content_type() == "text/calendar"
    assert invitation.get_param("method") == "REQUEST" and invitation.get_param("charset") == "utf-8"
    assert invitation.get_filename() == "invite.ics"
    ics = invitation.get_content()
    assert "METHOD:REQUEST" in ics and "SUMMARY:Quantum policy lunch" in ics
    [vevent] = icalendar.Calendar.from_ical(ics).walk("VEVENT")
    assert str(vevent["ATTENDEE"]) == f"mailto:{fellow.email}" and vevent["ATTENDEE"].params["CN"] == "Ada Lovelace"


def test_retries_wait_longer_each_time_and_stop_at_the_limit(app, login, smtp, make_organiser, outbox):
    app.config["MAIL_MAX_ATTEMPTS"] = 4
    with app.app_context():
        outbox_mail.queue_email(
            "someone@example.org",
            "Hello",
            "password_reset",
            kind="password_reset",
            user={"name": "Someone", "email": "someone@example.org"},
            link="http://localhost/x",
            hours=2,
        )
        db.session.commit()
        now = utcnow()
        delays = []
        for _ in range(4):
            message = db.session.scalar(select(OutboxMessage))
            now = message.next_attempt_at
            assert outbox_mail.deliver_due(now=now) == (0, 1)
            message = db.session.scalar(select(OutboxMessage))
            delays.append(message.next_attempt_at - now)
        assert delays[:3] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
        message = db.session.scalar(select(OutboxMessage))
        assert message.status == "failed" and message.attempts == 4
        # A failed message is no longer tried, however late it gets.
        assert outbox_mail.deliver_due(now=now + timedelta(days=30)) == (0, 0)
        message_id = message.id

    # Organisers see it with a Retry button, and retrying queues it again.
    organiser = login(make_organiser())
    page = organiser.get("/organiser/outbox").get_data(as_text=True)
    assert "Failed (1)" in page and "someone@example.org" in page
    assert f"/organiser/outbox/{message_id}/retry" in page
    assert organiser.post(f"/organiser/outbox/{message_id}/retry").status_code == 302
    [message] = outbox()
    assert (message.status, message.attempts) == ("queued", 0)

    smtp.start()
    with app.app_context():
        assert outbox_mail.deliver_due() == (1, 0)
    assert [m["Subject"] for m in smtp.messages] == ["Hello"]
    assert outbox()[0].status == "sent"


def test_only_failed_messages_can_be_retried(app, login, make_organiser, make_fellow, outbox):
    with app.app_context():
        outbox_mail.queue_email(
            "a@example.org",
            "Hi",
            "password_reset",
            kind="password_reset",
            user={"name": "A", "email": "a@example.org"},
            link="x",
            hours=2,
        )
        db.session.commit()
    message_id = outbox()[0].id
    organiser = login(make_organiser())
    response = organiser.post(f"/organiser/outbox/{message_id}/retry", follow_redirects=True)
    assert "Only failed messages can be retried." in response.get_data(as_text=True)
    assert login(make_fellow()).post(f"/organiser/outbox/{message_id}/retry").status_code == 403


def test_two_senders_never_take_the_same_message(app):
    with app.app_context():
        outbox_mail.queue_email(
            "a@example.org",
            "Hi",
            "password_reset",
            kind="password_reset",
            user={"name": "A", "email": "a@example.org"},
            link="x",
            hours=2,
        )
        db.session.commit()
        message_id = db.session.scalar(select(OutboxMessage.id))
        now = utcnow()
        assert outbox_mail._claim(message_id, now) is True
        # The second sender finds it taken (its next attempt moved past the lease).
        assert outbox_mail._claim(message_id, now) is False
        assert outbox_mail.deliver_due(now=now) == (0, 0)
        # A sender that died mid-send releases the message when the lease ends.
        assert outbox_mail.deliver_due(now=now + outbox_mail.SEND_LEASE) == (1, 0)


def test_the_cli_sender_reports_what_it_did(app, runner, make_event, make_fellow):
    _book(app, make_event(), make_fellow().id)
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0 and "1 sent, 0 failed attempts." in result.output
    with app.app_context():
        assert db.session.scalar(select(OutboxMessage.status)) == "sent"
