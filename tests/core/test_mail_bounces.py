"""Hard bounces mark an address undeliverable: a 5xx refusal from a real SMTP server (aiosmtpd) while sending,
or a bounce report (RFC 3464) read by ``flask mail bounces`` from a maildir or a folder of .eml files. Optional
mail is then not sent to the address (and the outbox says why); mail a person needs still goes; a temporary
failure is retried as before. Organisers see the addresses and clear one with a POST."""

from __future__ import annotations

import mailbox
import re
import shutil
import smtplib
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select

from core import mail as outbox_mail
from core.mail import bounces
from core.models import AuditEntry, MailSuppression, OutboxMessage, utcnow
from extensions import db
from tests.core.test_outbox import smtp  # noqa: F401 - the real SMTP server fixture

REPORTS = Path(__file__).parent / "bounce_reports"


def _queue(address: str, *, optional: bool, subject: str = "Hello") -> int:
    """Queue a message to ``address``: optional mail carries an unsubscribe link, like an announcement."""
    message = outbox_mail.queue_email(
        address,
        subject,
        "password_reset",
        kind="event_announcement" if optional else "password_reset",
        secrets={"unsubscribe_link": "http://localhost/unsubscribe/abc"} if optional else None,
        user={"name": "Someone", "email": address},
        link="http://localhost/x",
        hours=2,
    )
    db.session.commit()
    return message.id


def _suppressions() -> dict[str, tuple[str, str]]:
    return {s.address: (s.source, s.reason) for s in db.session.scalars(select(MailSuppression))}


def test_a_recipient_refused_for_good_is_bounced_once_and_recorded(app, smtp):  # noqa: F811
    smtp.refused["grace@navy.example.net"] = "550 5.1.1 <grace@navy.example.net>: Recipient address rejected"
    smtp.start()
    with app.app_context():
        refused = _queue("Grace@Navy.example.net", optional=False)
        fine = _queue("ada@example.org", optional=False)
        assert outbox_mail.deliver_due() == (1, 1)  # the refusal holds back nobody else
        message = db.session.get(OutboxMessage, refused)
        assert (message.status, message.attempts) == ("bounced", 1)
        assert message.last_error.startswith("550 5.1.1 <grace@navy.example.net>")
        assert db.session.get(OutboxMessage, fine).status == "sent"
        # Not tried again, however late it gets.
        assert outbox_mail.deliver_due(now=utcnow() + timedelta(days=3)) == (0, 0)
        [(address, (source, reason))] = _suppressions().items()
        assert (address, source) == ("grace@navy.example.net", "smtp") and reason.startswith("550 5.1.1")
    assert [m["To"] for m in smtp.messages] == ["ada@example.org"]


def test_optional_mail_to_an_undeliverable_address_is_skipped_and_needed_mail_still_goes(app, smtp):  # noqa: F811
    smtp.start()
    with app.app_context():
        bounces.record_undeliverable("grace@navy.example.net", "550 5.1.1 user unknown", "dsn")
        db.session.commit()
        announcement = _queue("GRACE@navy.example.net", optional=True, subject="New event: Grid futures")
        reset = _queue("grace@navy.example.net", optional=False, subject="Reset your password")
        other = _queue("ada@example.org", optional=True, subject="New event: Grid futures")
        assert outbox_mail.deliver_due() == (2, 0)
        skipped = db.session.get(OutboxMessage, announcement)
        assert skipped.status == "skipped" and skipped.attempts == 0
        assert "undeliverable" in skipped.last_error and "550 5.1.1 user unknown" in skipped.last_error
        assert skipped.sealed_values is None  # its unsubscribe link is not kept
        assert db.session.get(OutboxMessage, reset).status == "sent"
        assert db.session.get(OutboxMessage, other).status == "sent"
    assert sorted((m["To"], m["Subject"]) for m in smtp.messages) == [
        ("ada@example.org", "New event: Grid futures"),
        ("grace@navy.example.net", "Reset your password"),
    ]


def test_a_temporary_refusal_or_a_server_that_is_down_is_retried_and_marks_nothing(app, smtp):  # noqa: F811
    with app.app_context():
        message_id = _queue("ada@example.org", optional=True)
        assert outbox_mail.deliver_due() == (0, 1)  # the server is down: connection refused
        smtp.refused["ada@example.org"] = "450 4.2.0 <ada@example.org>: Recipient address rejected: Greylisted"
        smtp.start()
        message = db.session.get(OutboxMessage, message_id)
        assert outbox_mail.deliver_due(now=message.next_attempt_at) == (0, 1)
        message = db.session.get(OutboxMessage, message_id)
        assert (message.status, message.attempts) == ("queued", 2) and "450" in message.last_error
        assert message.next_attempt_at - utcnow() > timedelta(minutes=1)  # the back-off as before
        assert _suppressions() == {}
        del smtp.refused["ada@example.org"]
        assert outbox_mail.deliver_due(now=message.next_attempt_at) == (1, 0)
        assert db.session.get(OutboxMessage, message_id).status == "sent"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (smtplib.SMTPRecipientsRefused({"a@x.org": (550, b"5.1.1 no such user")}), ("550 5.1.1 no such user", True)),
        (smtplib.SMTPRecipientsRefused({"a@x.org": (452, b"4.2.2 mailbox full")}), None),
        (smtplib.SMTPDataError(550, b"5.2.1 mailbox disabled"), ("550 5.2.1 mailbox disabled", True)),
        # Refused for its content or by policy (a spam filter, DMARC): the message is lost, the mailbox may be fine.
        (smtplib.SMTPDataError(554, b"5.7.1 message rejected as spam"), ("554 5.7.1 message rejected as spam", False)),
        (smtplib.SMTPDataError(451, b"4.3.0 try again later"), None),
        # Our own configuration's failures are not the recipient's: they are retried, nobody is marked.
        (smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials"), None),
        (smtplib.SMTPSenderRefused(553, b"5.7.1 sender not allowed", "no-reply@x.org"), None),
        (ConnectionRefusedError(111, "Connection refused"), None),
    ],
)
def test_which_failures_are_permanent(error, expected):
    refusal = bounces.permanent_refusal(error)
    assert (refusal and (refusal.reply, refusal.address_is_undeliverable)) == expected


def _report(name: str):
    return message_from_bytes((REPORTS / name).read_bytes(), policy=policy.default)


def test_bounce_reports_give_the_permanently_failed_recipients_only():
    assert bounces.hard_bounces(_report("postfix-user-unknown.eml")) == [
        (
            "grace.hopper@navy.example.net",
            "550 5.1.1 <Grace.Hopper@Navy.example.net>: Recipient address rejected: User unknown in virtual "
            "mailbox table",
        )
    ]
    # Of two recipients, the one delayed is left alone.
    [(address, reason)] = bounces.hard_bounces(_report("exchange-two-recipients.eml"))
    assert address == "kat.johnson@agency.example.gov" and reason.startswith("550 5.4.1 Recipient address rejected")
    assert bounces.hard_bounces(_report("delayed.eml")) == []
    assert bounces.hard_bounces(_report("out-of-office.eml")) == []  # says "Status: 5.1.1", but is no report


def test_an_internationalised_report_is_read_too():
    """RFC 6533's message/global-delivery-status, which the email package leaves as text."""
    raw = (REPORTS / "postfix-user-unknown.eml").read_bytes()
    raw = raw.replace(b"Content-Type: message/delivery-status", b"Content-Type: message/global-delivery-status")
    raw = raw.replace(b"rfc822; Grace.Hopper@Navy.example.net", "utf-8; grâce@marine.example.fr".encode())
    [(address, _)] = bounces.hard_bounces(message_from_bytes(raw, policy=policy.default))
    assert address == "grâce@marine.example.fr"


def test_flask_mail_bounces_reads_a_maildir_once_and_files_the_reports_as_seen(app, runner, tmp_path):
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    for name in sorted(path.name for path in REPORTS.glob("*.eml")):
        box.add((REPORTS / name).read_bytes())
    result = runner.invoke(args=["mail", "bounces", str(tmp_path / "Maildir")])
    assert result.exit_code == 0, result.output
    assert "4 messages read, 2 reporting a permanent failure" in result.output
    assert "grace.hopper@navy.example.net" in result.output and "kat.johnson@agency.example.gov" in result.output
    with app.app_context():
        assert {address: source for address, (source, _) in _suppressions().items()} == {
            "grace.hopper@navy.example.net": "dsn",
            "kat.johnson@agency.example.gov": "dsn",
        }
    assert list((tmp_path / "Maildir" / "new").iterdir()) == []
    assert all(name.name.endswith(":2,S") for name in (tmp_path / "Maildir" / "cur").iterdir())

    again = runner.invoke(args=["mail", "bounces", str(tmp_path / "Maildir")])
    assert "0 messages read" in again.output and "no new undeliverable address" in again.output
    everything = runner.invoke(args=["mail", "bounces", "--all", str(tmp_path / "Maildir")])
    assert "4 messages read, 2 reporting" in everything.output and "no new undeliverable address" in everything.output
    with app.app_context():
        assert len(_suppressions()) == 2


def test_flask_mail_bounces_reads_a_folder_of_eml_files(app, runner, tmp_path):
    folder = tmp_path / "reports"
    shutil.copytree(REPORTS, folder)
    (folder / "notes.txt").write_text("not a message")
    result = runner.invoke(args=["mail", "bounces", str(folder)])
    assert result.exit_code == 0 and "4 messages read, 2 reporting" in result.output
    assert (folder / "postfix-user-unknown.eml").exists()  # a plain folder is left as it is
    assert runner.invoke(args=["mail", "bounces", str(tmp_path / "nowhere")]).exit_code != 0


def test_organisers_see_undeliverable_addresses_and_clear_one_with_a_post(
    app,
    login,
    make_organiser,
    make_fellow,
    smtp,  # noqa: F811
):
    smtp.refused["grace@navy.example.net"] = "550 5.1.1 no such user"
    smtp.start()
    with app.app_context():
        _queue("grace@navy.example.net", optional=False, subject="Reset your password")
        outbox_mail.deliver_due()  # bounced, and the address recorded
        _queue("grace@navy.example.net", optional=True, subject="New event: Grid futures")
        outbox_mail.deliver_due()  # skipped
        _queue("ada@example.org", optional=False, subject="Waiting")  # stays queued: nobody sends it
        suppression_id = db.session.scalar(select(MailSuppression.id))

    organiser = login(make_organiser())
    page = organiser.get("/organiser/outbox").get_data(as_text=True)
    assert (
        "Undeliverable addresses (1)" in page and "grace@navy.example.net" in page and "Refused while sending" in page
    )
    assert "Refused for good:" in page and "550 5.1.1 no such user" in page  # the bounced message, under Failed
    assert "Not sent: the address is undeliverable" in page  # the skipped announcement, with its reason
    assert "Next try" in page and "Attempts" in page
    clear = f"/organiser/outbox/undeliverable/{suppression_id}/clear"
    assert clear in page

    assert login(make_fellow()).post(clear).status_code == 403
    assert organiser.get(clear).status_code == 405
    app.config["WTF_CSRF_ENABLED"] = True
    assert organiser.post(clear).status_code == 400  # no CSRF token
    page = organiser.get("/organiser/outbox").get_data(as_text=True)
    form = re.search(rf'<form[^>]*action="{re.escape(clear)}".*?</form>', page, re.S)[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)[1]
    assert organiser.post(clear, data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert _suppressions() == {}
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "outbox.address_cleared")).all()
        assert "grace@navy.example.net" in entry.summary
    # Optional mail goes to the address again.
    smtp.refused.clear()
    with app.app_context():
        _queue("grace@navy.example.net", optional=True, subject="New event: Policy lunch")
        outbox_mail.deliver_due()
    assert "New event: Policy lunch" in [m["Subject"] for m in smtp.messages]


def test_a_deleted_account_leaves_no_record_that_its_address_bounced(app):
    with app.app_context():
        bounces.record_undeliverable("grace@navy.example.net", "550 5.1.1", "smtp")
        bounces.record_undeliverable("ada@example.org", "550 5.1.1", "smtp")
        outbox_mail.erase_mentions(["Grace Hopper", "Grace@Navy.example.net"])
        db.session.commit()
        assert list(_suppressions()) == ["ada@example.org"]
