"""Review links: an organiser emails a private link; the reviewer reads the draft and approves or
comments without an account; a wrong or withdrawn link is refused."""

from __future__ import annotations

import re

import pytest

from extensions import db
from tests.conftest import link_in
from tests.notes_helpers import (
    get_note,
    make_note_fixture,  # noqa: F401  (fixtures)
    past,
    text_of,
)


@pytest.fixture
def in_review(app, make_event, make_note, make_organiser, login):
    event_id = make_event(starts_at=past())
    note_id = make_note(
        event_id,
        state="in_review",
        published_at=None,
        title="Grid draft",
        body="## Draft\n\nThe national grid analogy.",
    )
    return note_id, login(make_organiser(name="Olivia Grant"))


def send_link(organiser, note_id: int, outbox, name="Mark Thompson", email="Mark@Example.org") -> str:
    response = organiser.post(
        f"/organiser/notes/{note_id}/review-links", data={"reviewer_name": name, "reviewer_email": email}
    )
    assert response.status_code == 200
    assert f"A review link has been emailed to {name}" in text_of(response)
    message = outbox(kind="note_review_request")[-1]
    assert message.to_address == email.lower() and message.subject.startswith("Please review the write-up: ")
    path = link_in(message, "/review/")
    assert path in text_of(response)  # shown once to the organiser as well
    return path


def test_reviewer_reads_the_draft_and_approves_without_an_account(app, client, in_review, outbox):
    note_id, organiser = in_review
    path = send_link(organiser, note_id, outbox)
    page = client.get(path, follow_redirects=True)
    assert page.status_code == 200
    html = text_of(page)
    assert "The national grid analogy." in html and "Dear Mark Thompson" in html
    assert page.headers["Referrer-Policy"] == "no-referrer" and "noindex" in page.headers["X-Robots-Tag"]

    response = client.post(path, data={"decision": "approve"})
    assert response.status_code == 302
    from writeups.models import NoteReviewResponse

    with app.app_context():
        rows = db.session.scalars(db.select(NoteReviewResponse)).all()
        assert [(r.decision, r.comment, r.revision_number) for r in rows] == [("approve", None, None)]
    shown = text_of(organiser.get(f"/organiser/notes/{note_id}"))
    assert "Approved" in shown and "Mark Thompson" in shown


def test_reviewer_comment_is_shown_to_organisers(app, client, in_review, outbox):
    note_id, organiser = in_review
    path = send_link(organiser, note_id, outbox)
    missing = client.post(path, data={"decision": "comment", "comment": ""})
    assert missing.status_code == 400 and "Write your comments" in text_of(missing)
    assert (
        client.post(path, data={"decision": "comment", "comment": "Please drop the <b>second</b> example."}).status_code
        == 302
    )
    shown = text_of(organiser.get(f"/organiser/notes/{note_id}"))
    assert "Commented" in shown and "Please drop the &lt;b&gt;second&lt;/b&gt; example." in shown


@pytest.mark.parametrize("token", ["wrong-token", "x" * 43, "a" * 500])
def test_a_wrong_token_is_404(client, in_review, token):
    assert client.get(f"/review/{token}").status_code == 404
    assert client.post(f"/review/{token}", data={"decision": "approve"}).status_code == 404


def test_a_withdrawn_link_is_404_and_records_nothing(app, client, in_review, outbox):
    note_id, organiser = in_review
    path = send_link(organiser, note_id, outbox)
    from writeups.models import NoteReviewLink, NoteReviewResponse

    with app.app_context():
        link = db.session.scalar(db.select(NoteReviewLink))
        assert link.token_hash not in path  # only the hash is stored
        link_id = link.id
    assert organiser.post(f"/organiser/notes/{note_id}/review-links/{link_id}/revoke").status_code == 302
    assert client.get(path, follow_redirects=True).status_code == 404
    assert client.post(path, data={"decision": "approve"}).status_code == 404
    assert client.get(path + "/image").status_code == 404
    with app.app_context():
        assert db.session.get(NoteReviewLink, link_id).revoked_at is not None
        assert db.session.query(NoteReviewResponse).count() == 0


def test_links_need_the_note_in_review_and_close_when_it_is_published(
    app, client, make_event, make_note, make_organiser, login, outbox
):
    event_id = make_event(starts_at=past())
    draft = make_note(event_id, state="draft", published_at=None)
    organiser = login(make_organiser())
    refused = organiser.post(
        f"/organiser/notes/{draft}/review-links", data={"reviewer_name": "A", "reviewer_email": "a@example.org"}
    )
    assert refused.status_code == 400 and "Send the note for review" in text_of(refused)
    assert organiser.post(f"/organiser/notes/{draft}/submit").status_code == 302
    assert get_note(app, draft).state == "in_review"
    path = send_link(organiser, draft, outbox, name="Jane Doe", email="jane@example.org")
    assert organiser.post(f"/organiser/notes/{draft}/publish").status_code == 302
    page = client.get(path, follow_redirects=True)
    assert page.status_code == 200 and "responses are closed" in text_of(page)
    assert client.post(path, data={"decision": "approve"}).status_code == 400


def test_review_link_form_is_validated(in_review):
    note_id, organiser = in_review
    response = organiser.post(
        f"/organiser/notes/{note_id}/review-links", data={"reviewer_name": "", "reviewer_email": "not-an-email"}
    )
    assert response.status_code == 400
    html = text_of(response)
    assert "Enter the reviewer" in html and "Enter an email address like" in html
    assert re.search(r"There is a problem", html)
