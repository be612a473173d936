"""Issue 25 item 3, the rest: a target of meetings per question, invited in waves from its shortlist (the
meetings still wanted times the visit's over-invite factor), a decline, an expiry or a cancelled meeting
freeing the place for the next in reserve; and long shots among each question's suggestions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from extensions import db
from programmes.models import ExpertInvitation, PolicyQuestion, VisitProgramme, VisitTarget
from tests.concurrency import at_the_same_moment
from tests.conftest import link_in
from tests.events_helpers import text_of
from tests.programmes_helpers import visit_form

TRANSPORT = "How should rural bus services be funded?"
HOUSING = "What would make planning decisions faster?"
SHORTLIST = ["Alba", "Bryn", "Cato", "Dara", "Esme", "Finn", "Gwen", "Hugo"]


def _address(name: str) -> str:
    return f"{name.lower()}@uni.example"


@pytest.fixture
def shortlist(app, make_fellow, make_organiser, make_expert, login):
    """Ada's visit (invitations expire after 7 days) with two questions; eight experts on the transport
    question's shortlist, in order, and one expert listed for no question. Returns the organiser's client,
    the visit's id and the question ids."""
    ada = make_fellow(name="Ada Lovelace")
    with app.app_context():
        transport = PolicyQuestion(fellow_id=ada.id, question=TRANSPORT)
        housing = PolicyQuestion(fellow_id=ada.id, question=HOUSING)
        db.session.add_all([transport, housing])
        db.session.commit()
        questions = {"transport": transport.id, "housing": housing.id}
    organiser = login(make_organiser())
    form = visit_form(ada.id, reminder_after_days="3", expire_after_days="7")
    assert organiser.post("/organiser/visits/new", data=form).status_code == 302
    with app.app_context():
        visit_id = db.session.scalar(select(VisitProgramme.id))
    for name in SHORTLIST:
        expert_id = make_expert(name, email=_address(name))
        data = {"expert_id": expert_id, "question_id": questions["transport"]}
        assert organiser.post(f"/organiser/visits/{visit_id}/long-list", data=data).status_code == 302
    loose = make_expert("Xavi", email=_address("Xavi"))
    assert organiser.post(f"/organiser/visits/{visit_id}/long-list", data={"expert_id": loose}).status_code == 302
    return organiser, visit_id, questions


def _invited(outbox) -> list[str]:
    """The experts emailed an invitation so far, by first name, in the order the emails were queued."""
    return [message.to_address.split("@")[0].title() for message in outbox(kind="expert_invitation")]


def _link(outbox, name: str) -> str:
    message = next(m for m in outbox(kind="expert_invitation") if m.to_address == _address(name))
    return link_in(message, "/expert/")


def _targets(page: str) -> str:
    return page[page.index("Meetings wanted per question") : page.index("Long list")]


def test_a_target_invites_twice_the_meetings_wanted_and_keeps_the_rest_in_reserve(app, shortlist, outbox):
    organiser, visit_id, questions = shortlist
    saved = organiser.post(f"/organiser/visits/{visit_id}/targets", data={f"q{questions['transport']}": "2"})
    assert saved.status_code == 302
    page = _targets(text_of(organiser.get(f"/organiser/visits/{visit_id}")))
    # Columns: meetings wanted (the box), accepted, waiting, in reserve, invited next.
    assert f"{TRANSPORT} 0 of 2 0 8 4" in page
    assert f"{HOUSING} No target: everyone listed for it is invited" in page

    sent = organiser.post(f"/organiser/visits/{visit_id}/invite", follow_redirects=True)
    assert "5 invitations sent" in text_of(sent)
    assert "4 experts wait on the shortlists in reserve" in text_of(sent)
    # The first four of the shortlist, in the order they were added, and the expert without a question.
    assert _invited(outbox) == ["Alba", "Bryn", "Cato", "Dara", "Xavi"]
    assert f"{TRANSPORT} 0 of 2 4 4 0" in _targets(text_of(organiser.get(f"/organiser/visits/{visit_id}")))

    again = organiser.post(f"/organiser/visits/{visit_id}/invite", follow_redirects=True)
    assert "Nobody was invited: each question's target is covered" in text_of(again)
    assert len(outbox(kind="expert_invitation")) == 5


def test_declines_expiry_and_cancellation_invite_the_next_in_reserve(app, shortlist, outbox, runner):
    organiser, visit_id, questions = shortlist
    organiser.post(f"/organiser/visits/{visit_id}/targets", data={f"q{questions['transport']}": "2"})
    organiser.post(f"/organiser/visits/{visit_id}/invite")
    with app.app_context():
        slots = [str(half) for half in db.session.get(VisitProgramme, visit_id).half_days()]

    # Bryn declines: three still waiting for two meetings wanted (four asked at 2×): Esme is invited at once.
    app.test_client().post(_link(outbox, "Bryn"), data={"decision": "decline"})
    assert _invited(outbox)[5:] == ["Esme"]
    # Alba accepts: one meeting still wanted, three waiting: nobody more.
    app.test_client().post(_link(outbox, "Alba"), data={"decision": "accept", "available": slots[:2]})
    # Cato declines: two waiting (Dara, Esme) for the one meeting still wanted at 2×: nobody more.
    app.test_client().post(_link(outbox, "Cato"), data={"decision": "decline"})
    assert _invited(outbox)[5:] == ["Esme"]

    # A week on, Dara, Esme (and Xavi, who has no target) expire: Finn and Gwen are asked in their place.
    with app.app_context():
        for invitation in db.session.scalars(select(ExpertInvitation).where(ExpertInvitation.status == "invited")):
            invitation.invited_at = datetime.now(UTC) - timedelta(days=8)
        db.session.commit()
    output = runner.invoke(args=["expert-reminders"]).output
    assert "3 invitation(s) expired, 2 expert(s) invited from shortlists" in output
    assert _invited(outbox)[5:] == ["Esme", "Finn", "Gwen"]
    assert "0 expert(s) invited from shortlists" in runner.invoke(args=["expert-reminders"]).output  # idempotent
    page = _targets(text_of(organiser.get(f"/organiser/visits/{visit_id}")))
    assert f"{TRANSPORT} 1 of 2 2 1 0" in page

    # Alba's meeting is cancelled: two meetings wanted again, so four waiting at 2× — Hugo, the last in reserve.
    with app.app_context():
        alba = db.session.scalar(
            select(ExpertInvitation).join(ExpertInvitation.expert).where(ExpertInvitation.status == "accepted")
        )
        alba.meeting_cancelled_at = datetime.now(UTC)
        db.session.commit()
    assert "1 expert(s) invited from shortlists" in runner.invoke(args=["expert-reminders"]).output
    assert _invited(outbox)[5:] == ["Esme", "Finn", "Gwen", "Hugo"]
    assert f"{TRANSPORT} 0 of 2 3 0 0" in _targets(text_of(organiser.get(f"/organiser/visits/{visit_id}")))


def test_a_shortlist_whose_invitations_have_not_started_is_left_for_the_organiser(app, shortlist, outbox, runner):
    organiser, visit_id, questions = shortlist
    organiser.post(f"/organiser/visits/{visit_id}/targets", data={f"q{questions['transport']}": "3"})
    assert "0 expert(s) invited from shortlists" in runner.invoke(args=["expert-reminders"]).output
    assert outbox(kind="expert_invitation") == []


def test_two_declines_at_the_same_moment_invite_one_expert_each(app, shortlist, outbox):
    organiser, visit_id, questions = shortlist
    organiser.post(f"/organiser/visits/{visit_id}/targets", data={f"q{questions['transport']}": "2"})
    with app.app_context():
        db.session.get(VisitProgramme, visit_id).over_invite_percent = 100  # two asked for two meetings
        db.session.commit()
    organiser.post(f"/organiser/visits/{visit_id}/invite")
    assert _invited(outbox) == ["Alba", "Bryn", "Xavi"]
    links = [_link(outbox, "Alba"), _link(outbox, "Bryn")]
    statuses = at_the_same_moment(
        [lambda link=link: app.test_client().post(link, data={"decision": "decline"}) for link in links]
    )
    assert all(status in (200, 302) for status in statuses), statuses
    # Each decline frees one place: the second counts the expert the first invited, so both are filled.
    assert sorted(_invited(outbox)[3:]) == ["Cato", "Dara"]
    with app.app_context():
        waiting = db.session.scalars(select(ExpertInvitation).where(ExpertInvitation.status == "invited")).all()
        assert len(waiting) == 3  # Cato, Dara and Xavi


def test_targets_refuse_bad_numbers_with_a_message_and_can_be_cleared(app, shortlist, make_fellow):
    organiser, visit_id, questions = shortlist
    box = f"q{questions['transport']}"
    for bad in ("31", "0", "many"):
        refused = organiser.post(f"/organiser/visits/{visit_id}/targets", data={box: bad})
        assert refused.status_code == 400
        assert "The targets were not saved" in text_of(refused)
    with app.app_context():
        assert db.session.scalars(select(VisitTarget)).all() == []

    organiser.post(f"/organiser/visits/{visit_id}/targets", data={box: "3", f"q{questions['housing']}": "1"})
    with app.app_context():
        targets = {t.question_id: t.meetings for t in db.session.scalars(select(VisitTarget))}
        assert targets == {questions["transport"]: 3, questions["housing"]: 1}
    organiser.post(f"/organiser/visits/{visit_id}/targets", data={box: "", f"q{questions['housing']}": "1"})
    with app.app_context():
        assert [t.question_id for t in db.session.scalars(select(VisitTarget))] == [questions["housing"]]

    # A question of another fellow has no box on this visit: what is posted for it is ignored.
    other = make_fellow(name="Grace Hopper", email="grace@example.org")
    with app.app_context():
        theirs = PolicyQuestion(fellow_id=other.id, question="Whose question?")
        db.session.add(theirs)
        db.session.commit()
        theirs_id = theirs.id
    organiser.post(f"/organiser/visits/{visit_id}/targets", data={f"q{theirs_id}": "5"})
    with app.app_context():
        assert db.session.scalar(select(VisitTarget).where(VisitTarget.question_id == theirs_id)) is None


def test_a_fellow_cannot_set_targets(app, shortlist, login, make_fellow):
    _, visit_id, questions = shortlist
    fellow = login(make_fellow(name="Grace Hopper", email="grace@example.org"))
    response = fellow.post(f"/organiser/visits/{visit_id}/targets", data={f"q{questions['transport']}": "9"})
    assert response.status_code in (403, 404)
    with app.app_context():
        assert db.session.scalars(select(VisitTarget)).all() == []


def test_the_over_invite_factor_is_set_on_the_visit(app, shortlist):
    organiser, visit_id, _ = shortlist
    with app.app_context():
        fellow_id = db.session.get(VisitProgramme, visit_id).fellow_id
    form = visit_form(fellow_id, reminder_after_days="3", expire_after_days="7")
    refused = organiser.post(f"/organiser/visits/{visit_id}/edit", data=form | {"over_invite_factor": "7"})
    assert refused.status_code == 400
    assert "Between 1 and 5" in text_of(refused)
    saved = organiser.post(f"/organiser/visits/{visit_id}/edit", data=form | {"over_invite_factor": "1.5"})
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.get(VisitProgramme, visit_id).over_invite_percent == 150
    assert "asks 1.5 experts per meeting" in text_of(organiser.get(f"/organiser/visits/{visit_id}"))


def test_long_shots_bring_an_expert_of_a_rare_field_beyond_the_best_scores(
    app, make_fellow, make_organiser, make_expert, login
):
    app.config["MATCHING_SEMANTIC"] = False  # keyword points alone: the order is known
    ada = make_fellow(name="Ada Lovelace")
    with app.app_context():
        from core.models import Tag

        question = PolicyQuestion(fellow_id=ada.id, question="How should rural ferry services be funded?")
        question.topics.append(Tag(name="Transport", slug="transport"))
        db.session.add(question)
        db.session.commit()
    for n in range(10):  # the network's many transport experts
        make_expert(f"Transport Expert {n:02}", topics=("Transport",), biography="Rural services funding.")
    for n in range(40):  # and many others, so that 2% of the network is a small number
        make_expert(f"Other Expert {n:02}", topics=("Health",))
    make_expert("Rhian Ferry", topics=("Maritime law",), biography="Ferry contracts.")
    organiser = login(make_organiser())
    organiser.post("/organiser/visits/new", data=visit_form(ada.id))
    with app.app_context():
        visit_id = db.session.scalar(select(VisitProgramme.id))

    page = text_of(organiser.get(f"/organiser/visits/{visit_id}"))
    suggestions = page[page.index("Suggested experts") :]
    assert "Long shot Rhian Ferry" in suggestions
    assert "Long shot: the only expert in the network with expertise in Maritime law" in suggestions
    assert suggestions.count("Add to the long list : Transport Expert") == 8  # the best scores first, as before

    with app.app_context():
        db.session.get(VisitProgramme, visit_id).long_shots = 0
        db.session.commit()
    page = text_of(organiser.get(f"/organiser/visits/{visit_id}"))
    assert "Rhian Ferry" not in page[page.index("Suggested experts") :]


def test_the_demo_visit_shows_its_target_and_invites_the_one_more_it_wants(app, runner, login, outbox):
    from fellows.demo import DEMO_PASSWORD, ORGANISER_EMAIL
    from programmes.demo import FELLOW_EMAIL

    assert runner.invoke(args=["demo"]).exit_code == 0
    organiser = app.test_client()
    organiser.post("/login", data={"email": ORGANISER_EMAIL, "password": DEMO_PASSWORD})
    with app.app_context():
        visit = db.session.scalar(
            select(VisitProgramme)
            .join(VisitProgramme.fellow)
            .where(VisitProgramme.fellow.has(email=FELLOW_EMAIL), VisitProgramme.starts_on > datetime.now(UTC).date())
        )
        first = db.session.get(PolicyQuestion, db.session.scalar(select(VisitTarget.question_id)))
        visit_id, first_question = visit.id, first.question
    page = organiser.get(f"/organiser/visits/{visit_id}")
    assert page.status_code == 200
    # Accepted 1 of 2, none waiting, one in reserve, and so one to invite (2× the meeting still wanted, at most
    # the reserve).
    assert f"{first_question} 1 of 2 0 1 1" in _targets(text_of(page))
    before = len(outbox(kind="expert_invitation"))
    sent = organiser.post(f"/organiser/visits/{visit_id}/invite", follow_redirects=True)
    assert sent.status_code == 200
    assert len(outbox(kind="expert_invitation")) == before + 3  # one for the target, two for the other questions
    saved = organiser.post(f"/organiser/visits/{visit_id}/targets", data={}, follow_redirects=True)
    assert "The targets have been saved." in text_of(saved)  # every box empty: no target any more
