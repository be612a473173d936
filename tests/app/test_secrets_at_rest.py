"""No usable secret at rest: single-use links are never stored in the clear (issue 13, defect 1).

The links a password reset, an invitation and a review request email are live credentials. A copy of
the database must not hold them: the outbox keeps a placeholder in its bodies and the link sealed
with a key derived from SECRET_KEY, and forgets even that once the message has gone.
"""

from __future__ import annotations

import pytest
from sqlalchemy import JSON, LargeBinary, String, Text, select

from core.mail import REMOVED_AFTER_SENDING, deliver_due
from core.models import OutboxMessage
from core.sealing import SealError, open_seal
from extensions import db
from tests.conftest import link_in
from tests.notes_helpers import make_note_fixture, past  # noqa: F401  (fixtures)

NEW_PASSWORD = "a brand new passphrase"


def _every_stored_text() -> list[tuple[str, str, str]]:
    """(table, column, value) for every text-like value in every table of the database."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, String | Text | LargeBinary | JSON):
                continue
            rows = db.session.execute(select(column)).scalars()
            for value in rows:
                if value is None:
                    continue
                value = bytes(value).decode("utf-8", "replace") if isinstance(value, bytes | memoryview) else str(value)
                found.append((table.name, column.name, value))
    return found


def _where_stored(secret: str) -> list[tuple[str, str]]:
    return [(table, column) for table, column, value in _every_stored_text() if secret in value]


@pytest.fixture
def three_links(app, client, login, make_organiser, make_fellow, make_event, make_note, outbox):
    """A password reset, an invitation and a review request, made through the pages; their live tokens."""
    organiser = login(make_organiser())
    fellow = make_fellow(email="ada@example.org")
    assert client.post("/password/forgot", data={"email": fellow.email}).status_code == 200
    invited = organiser.post("/organiser/fellows/invite", data={"name": "Nadia Rahman", "email": "nadia@example.org"})
    assert invited.status_code == 302
    note_id = make_note(make_event(starts_at=past()), state="in_review", published_at=None)
    reviewed = organiser.post(
        f"/organiser/notes/{note_id}/review-links", data={"reviewer_name": "Mark", "reviewer_email": "mark@example.org"}
    )
    assert reviewed.status_code == 200
    links = {
        "reset": link_in(outbox(kind="password_reset")[0], "/password/reset/"),
        "invitation": link_in(outbox(kind="invitation")[0], "/invitation/"),
        "review": link_in(outbox(kind="note_review_request")[0], "/review/"),
    }
    return {kind: link.rsplit("/", 1)[1] for kind, link in links.items()}, links


def test_no_table_holds_a_live_link_while_the_emails_wait_or_after_they_are_sent(app, client, three_links):
    tokens, links = three_links
    assert all(len(token) >= 32 for token in tokens.values())
    with app.app_context():
        for kind, token in tokens.items():
            assert _where_stored(token) == [], f"the {kind} token is stored in the clear"
        waiting = db.session.scalars(select(OutboxMessage)).all()
        assert all(message.sealed_values for message in waiting)
        assert all("[[sealed:link]]" in message.text_body for message in waiting)

        assert deliver_due() == (3, 0)
        db.session.expire_all()
        for kind, token in tokens.items():
            assert _where_stored(token) == [], f"the {kind} token is stored after sending"
        for message in db.session.scalars(select(OutboxMessage)):
            assert message.sealed_values is None and message.status == "sent"
            assert REMOVED_AFTER_SENDING in message.text_body and "[[sealed:" not in message.text_body
            assert REMOVED_AFTER_SENDING in message.html_body

    # The links themselves still work: the secret was kept from the database, not from the recipient.
    assert client.get(links["review"], follow_redirects=True).status_code == 200
    response = client.post(links["reset"], data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302


def test_the_mail_the_recipient_gets_carries_the_link(app, three_links):
    """What reaches the mail server (here the development log) has the link in both bodies."""
    tokens, _ = three_links
    with app.app_context():
        deliver_due()
    with open(f"{app.instance_path}/mail.log", encoding="utf-8") as log:
        delivered = log.read()
    assert all(token in delivered for token in tokens.values())


def test_sealed_links_open_only_with_the_secret_key_that_sealed_them(app, three_links):
    with app.app_context():
        sealed = db.session.scalars(select(OutboxMessage.sealed_values)).all()
        assert len(sealed) == 3 and all(open_seal(value)["link"].startswith("http") for value in sealed)
        app.config["SECRET_KEY"] = "another-secret-key-entirely-0123456789"
        with pytest.raises(SealError):
            open_seal(sealed[0])
        # A message the sender cannot open is not sent without its link: it waits and is retried.
        assert deliver_due() == (0, 3)
        message = db.session.scalars(select(OutboxMessage)).first()
        assert message.status == "queued" and "another SECRET_KEY" in message.last_error


def test_the_stored_copy_of_a_reset_email_has_no_link_to_follow(app, client, make_fellow):
    fellow = make_fellow(email="grace@example.org")
    client.post("/password/forgot", data={"email": fellow.email})
    with app.app_context():
        message = db.session.scalars(select(OutboxMessage)).one()
        stored = message.text_body + (message.html_body or "")
    assert "/password/reset/" not in stored and "[[sealed:link]]" in stored


def test_an_experts_invitation_link_is_not_stored_in_the_clear(
    app, client, login, make_organiser, make_fellow, make_expert, outbox
):
    from datetime import date, timedelta

    from programmes.models import Expert, ExpertInvitation, VisitProgramme

    organiser = login(make_organiser())
    fellow = make_fellow()
    expert_id = make_expert("Priya Shah", email="priya@uni.example")
    start = date.today() + timedelta(days=30)
    with app.app_context():
        visit = VisitProgramme(fellow_id=fellow.id, starts_on=start, ends_on=start + timedelta(days=4))
        db.session.add(ExpertInvitation(programme=visit, expert=db.session.get(Expert, expert_id), available=[]))
        db.session.commit()
        visit_id = visit.id
    assert organiser.post(f"/organiser/visits/{visit_id}/invite").status_code == 302
    link = link_in(outbox(kind="expert_invitation")[0], "/expert/")
    token = link.rsplit("/", 1)[1]
    with app.app_context():
        assert _where_stored(token) == []
        assert deliver_due() == (1, 0)
        db.session.expire_all()
        assert _where_stored(token) == []
    assert client.get(link, follow_redirects=True).status_code == 200  # the expert's link works all the same
