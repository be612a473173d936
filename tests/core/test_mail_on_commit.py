"""Development delivery: mail queued by a request goes out once the request has committed it, never before."""

import os

from core.mail import queue_email
from core.models import OutboxMessage
from extensions import db


def test_committed_mail_is_delivered_to_the_mail_log(app, client, make_fellow, outbox):
    app.config["MAIL_SEND_ON_COMMIT"] = True
    fellow = make_fellow()
    client.post("/password/forgot", data={"email": fellow.email})
    [message] = outbox()
    assert message.status == "sent"
    with open(os.path.join(app.instance_path, "mail.log"), encoding="utf-8") as log:
        text = log.read()
    assert f"To: {fellow.email}" in text and "/password/reset/" in text


def test_uncommitted_mail_and_changes_are_neither_sent_nor_saved(app, client, make_fellow):
    app.config["MAIL_SEND_ON_COMMIT"] = True
    fellow = make_fellow(name="Before")

    @app.get("/half-done")
    def half_done():
        from fellows.models import User

        db.session.get(User, fellow.id).name = "Half-saved"
        queue_email(fellow.email, "Never", "password_reset", kind="test", user=fellow, link="x", hours=1)
        db.session.flush()
        return "flushed but not committed"

    # An earlier committed message in the same app must not make the sender commit this request's work.
    client.post("/password/forgot", data={"email": fellow.email})
    assert client.get("/half-done").status_code == 200
    with app.app_context():
        from fellows.models import User

        assert db.session.get(User, fellow.id).name == "Before"
        assert db.session.scalar(db.select(OutboxMessage).filter_by(kind="test")) is None
    with open(os.path.join(app.instance_path, "mail.log"), encoding="utf-8") as log:
        assert "Subject: Never" not in log.read()
