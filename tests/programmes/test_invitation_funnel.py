"""Issue 25 item 3, in part: the invitation funnel. Invitations expire after the visit's number of days
(one reminder before), the expert's first opening of the link is recorded, a late answer is kept and
marked late, and the visit's page counts invited / opened / answered / accepted / declined / expired per
question."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from programmes.models import ExpertInvitation, PolicyQuestion, VisitProgramme
from tests.conftest import link_in
from tests.events_helpers import text_of
from tests.programmes_helpers import visit_form

TRANSPORT = "How should rural bus services be funded?"
HOUSING = "What would make planning decisions faster?"


def _visit_form(fellow_id: int, **changes) -> dict[str, str]:
    return visit_form(fellow_id, **({"reminder_after_days": "3", "expire_after_days": "7"} | changes))


@pytest.fixture
def funnel_world(app, make_fellow, make_organiser, make_expert, login, outbox):
    """Ada's visit (invitations expire after 7 days) with two questions; five experts invited: three for
    the transport question, one for housing, one for no question. Returns the organiser's client, the
    visit's id and each expert's private link by name."""
    ada = make_fellow(name="Ada Lovelace")
    with app.app_context():
        transport = PolicyQuestion(fellow_id=ada.id, question=TRANSPORT)
        housing = PolicyQuestion(fellow_id=ada.id, question=HOUSING)
        db.session.add_all([transport, housing])
        db.session.commit()
        questions = {"transport": transport.id, "housing": housing.id, None: None}
    organiser = login(make_organiser())
    assert organiser.post("/organiser/visits/new", data=_visit_form(ada.id)).status_code == 302
    with app.app_context():
        visit_id = db.session.scalar(select(VisitProgramme.id))
        assert db.session.get(VisitProgramme, visit_id).expire_after_days == 7
    names = {"Opens Only": "transport", "Accepts": "transport", "Declines": "transport", "Silent": "housing"}
    names["Late Answer"] = None
    for name, question in names.items():
        expert_id = make_expert(name, email=f"{name.split()[0].lower()}@uni.example")
        data = {"expert_id": expert_id} | ({"question_id": questions[question]} if question else {})
        assert organiser.post(f"/organiser/visits/{visit_id}/long-list", data=data).status_code == 302
    assert organiser.post(f"/organiser/visits/{visit_id}/invite").status_code == 302
    by_address = {message.to_address: link_in(message, "/expert/") for message in outbox(kind="expert_invitation")}
    links = {name: by_address[f"{name.split()[0].lower()}@uni.example"] for name in names}
    return organiser, visit_id, links


def _backdate_invitations(app, days: int) -> None:
    with app.app_context():
        for invitation in db.session.scalars(select(ExpertInvitation)):
            invitation.invited_at = datetime.now(UTC) - timedelta(days=days)
        db.session.commit()


def _funnel(page: str) -> str:
    return page[page.index("The funnel") : page.index("Long list")]


def test_the_funnel_counts_each_stage_per_question_and_for_the_whole_visit(app, funnel_world, runner):
    organiser, visit_id, links = funnel_world
    with app.app_context():
        slots = [str(half) for half in db.session.get(VisitProgramme, visit_id).half_days()]
    app.test_client().get(links["Opens Only"], follow_redirects=True)
    app.test_client().post(links["Accepts"], data={"decision": "accept", "available": slots[:2]})
    app.test_client().post(links["Declines"], data={"decision": "decline"})
    _backdate_invitations(app, 8)
    # Opens Only, Silent and Late Answer; no reminder at the moment of expiry.
    assert "0 expert reminder(s) queued, 3 invitation(s) expired" in runner.invoke(args=["expert-reminders"]).output
    funnel = _funnel(text_of(organiser.get(f"/organiser/visits/{visit_id}")))
    # Columns: invited, opened, answered, accepted, declined, expired, answered late.
    assert f"{TRANSPORT} 3 3 2 1 1 1 0" in funnel
    assert f"{HOUSING} 1 0 0 0 0 1 0" in funnel
    assert "No question 1 0 0 0 0 1 0" in funnel
    assert "The whole visit 5 3 2 1 1 3 0" in funnel


def test_an_unanswered_invitation_expires_after_a_reminder_and_a_late_answer_is_kept(
    app, funnel_world, runner, outbox, make_organiser
):
    organiser, visit_id, links = funnel_world
    make_organiser(name="Each", email="each@example.org", organiser_alerts="each")
    _backdate_invitations(app, 4)
    output = runner.invoke(args=["expert-reminders"]).output
    assert "5 expert reminder(s) queued, 0 invitation(s) expired" in output  # reminded after 3 days
    _backdate_invitations(app, 7)
    output = runner.invoke(args=["expert-reminders"]).output
    assert "0 expert reminder(s) queued, 5 invitation(s) expired" in output  # once each, then expired
    assert "0 invitation(s) expired" in runner.invoke(args=["expert-reminders"]).output  # idempotent
    assert len(outbox(kind="expert_reminder")) == 5

    expert = app.test_client()
    page = text_of(expert.get(links["Late Answer"], follow_redirects=True))
    assert "This invitation expired on" in page and "You can still answer" in page
    with app.app_context():
        slots = [str(half) for half in db.session.get(VisitProgramme, visit_id).half_days()]
    answered = expert.post(links["Late Answer"], data={"decision": "accept", "available": slots[:1]})
    assert answered.status_code == 302
    with app.app_context():
        late = db.session.scalar(select(ExpertInvitation).where(ExpertInvitation.status == "accepted"))
        assert late.expired_at is not None and late.responded_at > late.expired_at and late.available == slots[:1]
    tracker = text_of(organiser.get(f"/organiser/visits/{visit_id}"))
    assert "answered late" in tracker and "Expired 4" in tracker
    assert "The whole visit 5 1 1 1 0 4 1" in _funnel(tracker)
    [alert] = [m for m in outbox(kind="organiser_alert") if m.to_address == "each@example.org"]
    assert "Late Answer accepted to meet for Ada Lovelace's visit" in alert.text_body
    assert "late: after the invitation expired" in alert.text_body


def test_opening_the_link_counts_once_and_an_organiser_page_does_not_count(app, funnel_world):
    organiser, visit_id, links = funnel_world
    organiser.get(f"/organiser/visits/{visit_id}")
    expert = app.test_client()
    expert.get(links["Silent"], follow_redirects=True)
    with app.app_context():
        [opened] = db.session.scalars(select(ExpertInvitation).where(ExpertInvitation.opened_at.is_not(None))).all()
        first = opened.opened_at
    expert.get(links["Silent"], follow_redirects=True)
    with app.app_context():
        assert db.session.get(ExpertInvitation, opened.id).opened_at == first
    assert ", opened " in text_of(organiser.get(f"/organiser/visits/{visit_id}"))


def test_a_visit_refuses_an_expiry_before_its_reminder_or_out_of_range(app, make_fellow, make_organiser, login):
    ada = make_fellow(name="Ada Lovelace")
    organiser = login(make_organiser())
    early = organiser.post("/organiser/visits/new", data=_visit_form(ada.id, expire_after_days="3"))
    assert early.status_code == 400 and "The reminder must go out before the invitation expires" in text_of(early)
    short = organiser.post("/organiser/visits/new", data=_visit_form(ada.id, expire_after_days="1"))
    assert short.status_code == 400 and "Between 2 and 90 days" in text_of(short)
    with app.app_context():
        assert db.session.scalar(select(func.count(VisitProgramme.id))) == 0
    # Left empty, the default: two weeks.
    assert organiser.post("/organiser/visits/new", data=_visit_form(ada.id, expire_after_days="")).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(VisitProgramme.expire_after_days)) == 14
