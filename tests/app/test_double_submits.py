"""Double submits act once (issue 23, defect 10): a review link, a visit programme and a request to join
are each made once, with their email sent once, however often their form is sent. Each form carries a
one-use key (core.forms.FormKeyField); two identical posts at the same moment (real concurrent requests,
each on its own connection) and a second click after the first answered both give the first one's answer.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.models import UsedFormKey
from extensions import db
from fellows.models import JoinRequest
from programmes.models import VisitProgramme
from tests.concurrency import at_the_same_moment
from tests.notes_helpers import make_note_fixture, past, text_of  # noqa: F401  (fixtures)
from writeups.models import NoteReviewLink


def _form_key(page) -> str:
    [key] = re.findall(r'name="form_key" type="hidden" value="([^"]+)"', page.get_data(as_text=True))
    return key


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _twice(post, concurrently: bool) -> list:
    """The same post sent twice: at the same moment, or a second click once the first has answered."""
    responses = []

    def send():
        response = post()
        responses.append(response)
        return response

    if concurrently:
        at_the_same_moment([send, send])
    else:
        send(), send()
    return responses


@pytest.fixture
def note_in_review(app, make_event, make_note, make_organiser, login):
    note_id = make_note(make_event(starts_at=past()), state="in_review", published_at=None, title="Grid draft")
    return note_id, login(make_organiser())


@pytest.mark.parametrize("concurrently", [True, False], ids=["at-once", "one-after-the-other"])
def test_a_review_link_sent_twice_is_made_and_emailed_once(app, note_in_review, outbox, concurrently):
    note_id, organiser = note_in_review
    key = _form_key(organiser.get(f"/organiser/notes/{note_id}"))
    form = {"reviewer_name": "Mark Thompson", "reviewer_email": "mark@example.org", "form_key": key}

    responses = _twice(lambda: organiser.post(f"/organiser/notes/{note_id}/review-links", data=form), concurrently)

    assert sorted(r.status_code for r in responses) == [200, 302]
    assert _count(app, NoteReviewLink) == 1
    assert len(outbox(kind="note_review_request")) == 1
    repeat = next(r for r in responses if r.status_code == 302)
    assert repeat.location.endswith(f"/organiser/notes/{note_id}")
    if not concurrently:  # (at once, the two answers' session cookies overwrite each other's flash)
        assert "A review link has been emailed to Mark Thompson" in text_of(organiser.get(repeat.location))


def test_a_new_form_sends_another_review_link(app, note_in_review, outbox):
    note_id, organiser = note_in_review
    for name in ("Mark Thompson", "Jane Doe"):
        key = _form_key(organiser.get(f"/organiser/notes/{note_id}"))
        form = {"reviewer_name": name, "reviewer_email": "mark@example.org", "form_key": key}
        assert organiser.post(f"/organiser/notes/{note_id}/review-links", data=form).status_code == 200
    assert _count(app, NoteReviewLink) == 2 and len(outbox(kind="note_review_request")) == 2


def test_a_refused_submission_leaves_its_key_unused(app, make_event, make_note, make_organiser, login, outbox):
    draft = make_note(make_event(starts_at=past()), state="draft", published_at=None)
    organiser = login(make_organiser())
    form = {"reviewer_name": "A", "reviewer_email": "a@example.org", "form_key": "k" * 32}
    assert organiser.post(f"/organiser/notes/{draft}/review-links", data=form).status_code == 400
    assert organiser.post(f"/organiser/notes/{draft}/submit").status_code == 302
    assert organiser.post(f"/organiser/notes/{draft}/review-links", data=form).status_code == 200
    assert _count(app, NoteReviewLink) == 1 and len(outbox(kind="note_review_request")) == 1


def test_one_persons_key_means_nothing_for_another(app, note_in_review, make_organiser, login, outbox):
    note_id, organiser = note_in_review
    form = {"reviewer_name": "Mark Thompson", "reviewer_email": "mark@example.org", "form_key": "k" * 32}
    assert organiser.post(f"/organiser/notes/{note_id}/review-links", data=form).status_code == 200
    assert login(make_organiser()).post(f"/organiser/notes/{note_id}/review-links", data=form).status_code == 200
    assert _count(app, NoteReviewLink) == 2


@pytest.mark.parametrize("concurrently", [True, False], ids=["at-once", "one-after-the-other"])
def test_a_visit_planned_twice_is_planned_once(app, make_fellow, make_organiser, login, concurrently):
    ada = make_fellow(name="Ada Lovelace")
    organiser = login(make_organiser())
    start = date.today() + timedelta(days=28 - date.today().weekday())
    form = {
        "fellow_id": ada.id,
        "starts_on": start.isoformat(),
        "ends_on": (start + timedelta(days=4)).isoformat(),
        "day_starts": "09:00",
        "day_ends": "17:30",
        "lunch_starts": "12:30",
        "lunch_ends": "13:30",
        "meeting_minutes": "45",
        "max_per_day": "6",
        "home_location": "Alison Richard Building",
        "reminder_after_days": "5",
        "form_key": _form_key(organiser.get("/organiser/visits/new")),
    }

    responses = _twice(lambda: organiser.post("/organiser/visits/new", data=form), concurrently)

    assert [r.status_code for r in responses] == [302, 302]
    with app.app_context():
        [visit_id] = db.session.scalars(select(VisitProgramme.id)).all()
    assert {r.location for r in responses} == {f"/organiser/visits/{visit_id}"}


@pytest.mark.parametrize("concurrently", [True, False], ids=["at-once", "one-after-the-other"])
def test_a_request_to_join_sent_twice_is_sent_once(app, client, make_organiser, outbox, concurrently):
    make_organiser(organiser_alerts="each")
    form = {
        "name": "Priya Patel",
        "email": "priya@example.org",
        "organisation": "Greater London Authority",
        "reason": "I was in the 2019 cohort.",
        "form_key": _form_key(client.get("/join")),
    }

    responses = _twice(lambda: client.post("/join", data=form), concurrently)

    assert [r.status_code for r in responses] == [200, 200]
    assert all("Request sent" in text_of(r) for r in responses)
    assert _count(app, JoinRequest) == 1
    assert len(outbox(kind="organiser_alert")) == 1


def test_used_keys_are_forgotten_after_a_day(app, client, runner):
    form = {"name": "P", "email": "p@example.org", "organisation": "O", "reason": "R", "form_key": "k" * 32}
    assert client.post("/join", data=form).status_code == 200
    assert _count(app, UsedFormKey) == 1
    with app.app_context():
        db.session.execute(db.update(UsedFormKey).values(created_at=past(2)))
        db.session.commit()
    assert "1 used form keys" in runner.invoke(args=["purge"]).output
    assert _count(app, UsedFormKey) == 0
