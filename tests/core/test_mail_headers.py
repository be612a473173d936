"""What a real mailbox sees (delivered to a real SMTP server, aiosmtpd): the deployment's own From with
Reply-To the organiser, Message-ID, Date and Auto-Submitted on every message, a plain-text part beside the
HTML, and RFC 8058 one-click unsubscribe on optional mail only — whose POST works without a session or CSRF."""

from __future__ import annotations

import re

from core import mail as outbox_mail
from extensions import db
from fellows.models import User
from tests.core.test_outbox import smtp  # noqa: F401 - the real SMTP server fixture
from tests.events_helpers import text_of


def _deliver(app) -> None:
    with app.app_context():
        outbox_mail.deliver_due()


def _announced(app, smtp, make_organiser, make_fellow, make_event, login):  # noqa: F811
    app.config["MAIL_REPLY_TO"] = "office@example.org"
    smtp.start()
    fellow = make_fellow(interests=("Energy",), notify_new_events=True)
    organiser = make_organiser(email="olivia.organiser@example.org")
    event_id = make_event(state="draft", title="Grid futures", topics=("Energy",))
    login(organiser).post(f"/organiser/events/{event_id}/publish")
    _deliver(app)
    [message] = [m for m in smtp.messages if m["To"] == fellow.email]
    return fellow, message


def test_an_announcement_carries_the_headers_real_mailboxes_expect(
    app,
    smtp,  # noqa: F811
    make_organiser,
    make_fellow,
    make_event,
    login,
):
    fellow, message = _announced(app, smtp, make_organiser, make_fellow, make_event, login)
    assert message["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert message["Reply-To"] == "olivia.organiser@example.org"  # the organiser who published it
    assert re.fullmatch(r"<outbox\.\d+\.\d+@localhost>", message["Message-ID"])
    assert message["Date"] and message["Auto-Submitted"] == "auto-generated"
    assert {part.get_content_type() for part in message.walk()} >= {"text/plain", "text/html"}
    unsubscribe = re.fullmatch(r"<(http://localhost/unsubscribe/[^>]+)>", message["List-Unsubscribe"].strip())
    assert unsubscribe and message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # The mail client's one-click POST: no session, no CSRF token (CSRF is on in this app), the body RFC 8058 says.
    app.config["WTF_CSRF_ENABLED"] = True
    path = unsubscribe[1].removeprefix("http://localhost")
    answered = app.test_client().post(path, data={"List-Unsubscribe": "One-Click"})
    assert answered.status_code == 200
    with app.app_context():
        assert db.session.get(User, fellow.id).notify_new_events is False


def test_mail_nobody_chose_to_get_has_no_unsubscribe_and_replies_go_to_the_office(
    app,
    smtp,  # noqa: F811
    client,
    make_fellow,
):
    app.config["MAIL_REPLY_TO"] = "office@example.org"
    smtp.start()
    fellow = make_fellow()
    client.post("/password/forgot", data={"email": fellow.email})
    _deliver(app)
    [message] = smtp.messages
    assert message["Reply-To"] == "office@example.org" and message["Message-ID"] and message["Date"]
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None


def test_the_unsubscribe_page_asks_first_and_its_link_expires(app, client, make_fellow):
    from fellows.unsubscribe import unsubscribe_link

    fellow = make_fellow(notify_reminders=True)
    with app.app_context():
        path = unsubscribe_link(db.session.get(User, fellow.id), "reminders").removeprefix("http://localhost")
    page = client.get(path)
    assert page.status_code == 200 and "reminders of events you have a place at" in text_of(page)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    with app.app_context():
        assert db.session.get(User, fellow.id).notify_reminders is True  # a GET (a mail scanner) changes nothing
    app.config["UNSUBSCRIBE_LINK_DAYS"] = -1  # as if the email were older than the links last
    assert client.post(path).status_code == 404
    with app.app_context():
        assert db.session.get(User, fellow.id).notify_reminders is True
