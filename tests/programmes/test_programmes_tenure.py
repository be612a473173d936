"""Tenure and tiers, and policy questions: pages through the HTTP client, access by role, bad input."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from programmes.models import Appointment, PolicyQuestion
from tests.concurrency import at_the_same_moment
from tests.conftest import PASSWORD


@pytest.fixture
def appoint(app):
    def factory(fellow, *, starts: date, ends: date, tier: str = "policy_fellow", cohort: int = 2024) -> int:
        with app.app_context():
            appointment = Appointment(fellow_id=fellow.id, tier=tier, cohort=cohort, starts_on=starts, ends_on=ends)
            db.session.add(appointment)
            db.session.commit()
            return appointment.id

    return factory


def test_an_organiser_appoints_a_fellow_and_status_follows_the_dates(app, make_fellow, make_organiser, login):
    fellow = make_fellow(name="Amelia Hart")
    organiser = login(make_organiser())
    assert "Appoint Amelia Hart" in organiser.get("/organiser/tenures").get_data(as_text=True)
    today = date.today()
    response = organiser.post(
        "/organiser/tenures/new",
        data={
            "fellow_id": fellow.id,
            "tier": "policy_leaders_fellow",
            "cohort": 2025,
            "starts_on": (today - timedelta(days=300)).isoformat(),
            "ends_on": (today + timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 302
    with app.app_context():
        appointment = db.session.scalar(select(Appointment))
        assert appointment.tier == "policy_leaders_fellow"
        assert appointment.status_on(today) == "current"
        assert appointment.status_on(today + timedelta(days=31)) == "alumni"
        assert appointment.status_on(today - timedelta(days=301)) == "upcoming"
    page = organiser.get("/organiser/tenures?ending=60").get_data(as_text=True)
    assert "Amelia Hart" in page and "Policy Leaders Fellow" in page and "30 days left" in page
    assert "Amelia Hart" not in organiser.get("/organiser/tenures?ending=10").get_data(as_text=True)
    assert "Amelia Hart" not in organiser.get("/organiser/tenures?status=alumni").get_data(as_text=True)
    assert "1 tenure ends" in organiser.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"ends_on": "2020-01-01"}, "The tenure must end after it starts"),
        ({"cohort": "abc"}, "Not a valid integer value."),
        ({"starts_on": "0001-01-01"}, "Enter a date between"),
        ({"tier": "emperor"}, "Not a valid choice"),
    ],
)
def test_bad_appointments_are_refused_with_a_message(app, make_fellow, make_organiser, login, fields, message):
    fellow = make_fellow()
    organiser = login(make_organiser())
    data = {"fellow_id": fellow.id, "tier": "policy_fellow", "cohort": 2024, "starts_on": "2024-10-01"}
    data |= {"ends_on": "2026-09-30"} | fields
    response = organiser.post("/organiser/tenures/new", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Appointment)) is None


def test_a_second_appointment_for_the_same_fellow_is_refused(make_fellow, make_organiser, login, appoint):
    fellow = make_fellow()
    appointment_id = appoint(fellow, starts=date(2024, 10, 1), ends=date(2026, 9, 30))
    organiser = login(make_organiser())
    data = {"fellow_id": fellow.id, "tier": "policy_fellow", "cohort": 2024}
    data |= {"starts_on": "2024-10-01", "ends_on": "2026-09-30"}
    assert organiser.post("/organiser/tenures/new", data=data).status_code == 400  # not offered any more
    edit = organiser.post(f"/organiser/tenures/{appointment_id}/edit", data=data | {"tier": "continuing_fellow"})
    assert edit.status_code == 302


def test_a_fellow_records_questions_with_topics_and_sees_only_their_own(app, make_fellow, login):
    amelia = make_fellow(name="Amelia", interests=("Digital government",))
    ben = make_fellow(name="Ben")
    client = login(amelia)
    assert client.get("/programme").headers["Location"].endswith(f"/programme/fellows/{amelia.id}")
    with app.app_context():
        from core.models import Tag

        tag_id = db.session.scalar(select(Tag.id))
    response = client.post(
        f"/programme/fellows/{amelia.id}",
        data={
            "question": "  How can services  stay usable offline? ",
            "context": "Line one\r\nLine two",
            "topics": [tag_id],
        },
    )
    assert response.status_code == 302
    with app.app_context():
        question = db.session.scalar(select(PolicyQuestion))
        assert question.question == "How can services stay usable offline?"
        assert question.context == "Line one\nLine two"
        assert [tag.name for tag in question.topics] == ["Digital government"]
        question_id = question.id
    page = client.get(f"/programme/fellows/{amelia.id}").get_data(as_text=True)
    assert "How can services stay usable offline?" in page and "Digital government" in page

    other = login(ben)
    assert other.get(f"/programme/fellows/{amelia.id}").status_code == 404
    assert other.get(f"/programme/questions/{question_id}/edit").status_code == 404
    assert other.post(f"/programme/questions/{question_id}/delete").status_code == 404
    assert other.post(f"/programme/fellows/{amelia.id}", data={"question": "Mine now"}).status_code == 404
    assert app.test_client().get(f"/programme/fellows/{amelia.id}").status_code == 302  # sign in first

    assert client.post(f"/programme/questions/{question_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(PolicyQuestion)) is None


def test_an_organiser_records_questions_for_a_fellow(app, make_fellow, make_organiser, login):
    fellow = make_fellow()
    organiser = login(make_organiser())
    assert organiser.post(f"/programme/fellows/{fellow.id}", data={"question": "What works?"}).status_code == 302
    assert organiser.post(f"/programme/fellows/{fellow.id}", data={"question": "   "}).status_code == 400
    with app.app_context():
        question = db.session.scalar(select(PolicyQuestion))
        assert question.fellow_id == fellow.id
    organiser_account = make_organiser()
    assert organiser.get(f"/programme/fellows/{organiser_account.id}").status_code == 404


def test_questions_are_capped(app, make_fellow, login):
    fellow = make_fellow()
    client = login(fellow)
    for n in range(8):
        assert client.post(f"/programme/fellows/{fellow.id}", data={"question": f"Question {n}?"}).status_code == 302
    response = client.post(f"/programme/fellows/{fellow.id}", data={"question": "One too many?"})
    assert response.status_code == 400


def test_twelve_questions_posted_at_once_keep_the_cap_of_eight(app, make_fellow, make_organiser, login):
    """Issue 23, defect 9: each post counts under the fellow's lock, so none counts before another adds."""
    fellow = make_fellow()
    tabs = [login(fellow) for _ in range(8)] + [login(make_organiser()) for _ in range(4)]

    responses = []

    def post(tab, n):
        response = tab.post(f"/programme/fellows/{fellow.id}", data={"question": f"Question {n}?"})
        responses.append(response)
        return response

    statuses = at_the_same_moment([lambda t=t, n=n: post(t, n) for n, t in enumerate(tabs)])

    assert sorted(statuses) == [302] * 8 + [400] * 4
    refused = [r.get_data(as_text=True) for r in responses if r.status_code == 400]
    assert all("at most 8 questions" in body for body in refused)
    with app.app_context():
        count = db.session.scalar(select(func.count(PolicyQuestion.id)).where(PolicyQuestion.fellow_id == fellow.id))
        assert count == 8


@pytest.mark.parametrize("path", ["/organiser/tenures", "/organiser/tenures/new"])
def test_tenure_pages_are_for_organisers(make_fellow, login, path):
    assert login(make_fellow()).get(path).status_code == 403


def test_the_tenures_page_costs_the_same_for_few_and_many(
    app, make_fellow, make_organiser, login, appoint, count_queries
):
    organiser = login(make_organiser())

    def measure() -> int:
        with count_queries() as counter:
            assert organiser.get("/organiser/tenures").status_code == 200
        return counter.count

    for _ in range(2):
        appoint(make_fellow(), starts=date(2024, 10, 1), ends=date(2026, 9, 30))
    few = measure()
    for _ in range(10):
        appoint(make_fellow(), starts=date(2024, 10, 1), ends=date(2026, 9, 30))
    assert measure() == few


def test_adding_a_question_needs_the_csrf_token(csrf_app, make_fellow):
    fellow = make_fellow()
    client = csrf_app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    assert (
        client.post("/login", data={"email": fellow.email, "password": PASSWORD, "csrf_token": token}).status_code
        == 302
    )
    path = f"/programme/fellows/{fellow.id}"
    assert client.post(path, data={"question": "No token?"}).status_code == 400
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)
    assert client.post(path, data={"question": "With a token?", "csrf_token": token}).status_code == 302


def test_the_limit_of_questions_holds_when_many_are_added_at_once(app, make_fellow, login):
    """Issue 23 (9): twelve posts at the same moment leave exactly MAX_QUESTIONS questions, the rest refused
    with the message (400), never a 500."""
    from programmes.tenures.services import MAX_QUESTIONS
    from tests.concurrency import at_the_same_moment

    fellow = make_fellow()
    clients = [login(fellow) for _ in range(12)]
    path = f"/programme/fellows/{fellow.id}"
    statuses = at_the_same_moment(
        [lambda c=c, n=n: c.post(path, data={"question": f"Question number {n}?"}) for n, c in enumerate(clients)]
    )
    assert sorted(set(statuses)) == [302, 400] and statuses.count(302) == MAX_QUESTIONS
    with app.app_context():
        assert (
            db.session.scalar(select(func.count(PolicyQuestion.id)).where(PolicyQuestion.fellow_id == fellow.id))
            == MAX_QUESTIONS
        )
    assert clients[0].post(path, data={"question": "One more?"}).status_code == 400
