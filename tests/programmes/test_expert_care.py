"""Issue 25 item 4, in part: care for the expert network. Each expert's ask history across every fellow
(asked, answered, met, rated) is on their page and summed up beside each suggestion; an expert asked
``EXPERT_ASKS_PER_TERM`` times this term, by any fellow, is not suggested until the next term."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from core.models import AuditEntry, Tag
from extensions import db
from programmes.experts.queries import term_start
from programmes.models import ExpertInvitation, Meeting, PolicyQuestion, VisitProgramme
from tests.events_helpers import text_of
from tests.programmes_helpers import visit_form

TOPIC = "Digital government"


def _suggestions(page: str) -> str:
    return page[page.index("Suggested experts") :]


def _plan_visit(app, organiser, fellow_id: int, weeks_ahead: int) -> int:
    form = visit_form(fellow_id, weeks_ahead=weeks_ahead)
    assert organiser.post("/organiser/visits/new", data=form).status_code == 302
    with app.app_context():
        return db.session.scalar(select(VisitProgramme.id).where(VisitProgramme.fellow_id == fellow_id))


@pytest.fixture
def network(app, make_fellow, make_organiser, make_expert, login):
    """Two fellows with a question on digital government, each with a visit; two experts on the topic;
    Priya has been invited for Ada's visit (this term). The organiser's client is signed in."""
    app.config["MATCHING_SEMANTIC"] = False
    ada, ben = make_fellow(name="Ada Lovelace"), make_fellow(name="Ben Okri")
    with app.app_context():
        tag = Tag(name=TOPIC, slug="digital-government")
        for fellow in (ada, ben):
            db.session.add(PolicyQuestion(fellow_id=fellow.id, question=f"{fellow.name}'s question", topics=[tag]))
        db.session.commit()
    priya = make_expert("Priya Shah", topics=(TOPIC,))
    tom = make_expert("Tom Ward", topics=(TOPIC,))
    organiser = login(make_organiser())
    ada_visit = _plan_visit(app, organiser, ada.id, 3)
    ben_visit = _plan_visit(app, organiser, ben.id, 5)
    with app.app_context():
        question = db.session.scalar(select(PolicyQuestion.id).where(PolicyQuestion.fellow_id == ada.id))
    organiser.post(f"/organiser/visits/{ada_visit}/long-list", data={"expert_id": priya, "question_id": question})
    assert organiser.post(f"/organiser/visits/{ada_visit}/invite").status_code == 302
    return {"organiser": organiser, "priya": priya, "tom": tom, "ada_visit": ada_visit, "ben_visit": ben_visit}


def test_an_expert_asked_as_often_as_the_term_allows_is_not_suggested_until_the_next_term(app, network):
    app.config["EXPERT_ASKS_PER_TERM"] = 1
    organiser = network["organiser"]
    suggestions = _suggestions(text_of(organiser.get(f"/organiser/visits/{network['ben_visit']}")))
    assert "Tom Ward" in suggestions and "Never asked before" in suggestions
    assert "Priya Shah" not in suggestions
    assert "experts asked 1 time this term already" in suggestions

    app.config["EXPERT_ASKS_PER_TERM"] = 2
    suggestions = _suggestions(text_of(organiser.get(f"/organiser/visits/{network['ben_visit']}")))
    assert "Priya Shah" in suggestions and "Asked 1 time this term of 2; 1 in all, 0 accepted" in suggestions

    app.config["EXPERT_ASKS_PER_TERM"] = 1
    with app.app_context():
        invitation = db.session.scalar(select(ExpertInvitation).where(ExpertInvitation.expert_id == network["priya"]))
        invitation.invited_at = datetime.combine(term_start(date.today()), datetime.min.time(), UTC) - timedelta(days=2)
        db.session.commit()
    suggestions = _suggestions(text_of(organiser.get(f"/organiser/visits/{network['ben_visit']}")))
    assert "Priya Shah" in suggestions and "Asked 0 times this term of 1; 1 in all" in suggestions


def test_no_cap_suggests_everyone_and_adding_one_at_the_cap_by_hand_warns(app, network):
    organiser = network["organiser"]
    app.config["EXPERT_ASKS_PER_TERM"] = 0
    suggestions = _suggestions(text_of(organiser.get(f"/organiser/visits/{network['ben_visit']}")))
    assert "Priya Shah" in suggestions and "Asked 1 time this term;" in suggestions
    app.config["EXPERT_ASKS_PER_TERM"] = 1
    added = organiser.post(
        f"/organiser/visits/{network['ben_visit']}/long-list",
        data={"expert_id": network["priya"]},
        follow_redirects=True,
    )
    page = text_of(added)
    assert "Priya Shah is on the long list" in page
    assert "Priya Shah has been asked 1 time this term already (the usual most is 1)" in page
    quiet = organiser.post(
        f"/organiser/visits/{network['ben_visit']}/long-list", data={"expert_id": network["tom"]}, follow_redirects=True
    )
    assert "Tom Ward is on the long list" in text_of(quiet) and "has been asked" not in text_of(quiet)


def test_the_experts_page_shows_every_ask_and_what_came_of_it(app, network, make_expert):
    organiser, priya = network["organiser"], network["priya"]
    organiser.post(f"/organiser/visits/{network['ben_visit']}/long-list", data={"expert_id": priya})
    with app.app_context():
        ada_ask = db.session.scalar(
            select(ExpertInvitation).where(ExpertInvitation.programme_id == network["ada_visit"])
        )
        ada_ask.status, ada_ask.responded_at, ada_ask.available = "accepted", datetime.now(UTC), []
        starts = datetime.now(UTC) + timedelta(days=21)
        db.session.add(
            Meeting(
                programme_id=ada_ask.programme_id,
                invitation_id=ada_ask.id,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=45),
                rating=4,
            )
        )
        db.session.commit()
    page = text_of(organiser.get(f"/organiser/experts/{priya}/edit"))
    history = page[page.index("Asked before") :]
    assert "Asked 1 time in all: 1 accepted, 0 declined, 0 expired unanswered; 1 meeting held or planned." in history
    rows = history[history.index("Ratings (fellow, expert)") :]
    assert rows.index("Ben Okri") < rows.index("Ada Lovelace")  # the newest visit first
    assert "Not yet (on the long list)" in rows and "Ada Lovelace's question" in rows and "4, —" in rows
    never = make_expert("Mei Nowak")
    assert "has not been asked to meet a fellow yet" in text_of(organiser.get(f"/organiser/experts/{never}/edit"))


def test_the_visit_page_asks_no_more_queries_with_ask_counts_beside_more_suggestions(
    app, network, make_expert, count_queries
):
    organiser = network["organiser"]

    def queries_with(experts: int) -> int:
        for n in range(experts):
            make_expert(f"Expert {n} {experts}", topics=(TOPIC,))
        with count_queries() as counted:
            assert organiser.get(f"/organiser/visits/{network['ben_visit']}").status_code == 200
        return counted.count

    assert queries_with(1) == queries_with(12)


@pytest.mark.parametrize(
    ("day", "start"),
    [
        (date(2026, 12, 5), date(2026, 10, 1)),
        (date(2027, 1, 1), date(2027, 1, 1)),
        (date(2027, 6, 30), date(2027, 4, 1)),
    ],
)
def test_a_term_is_a_quarter(day, start):
    assert term_start(day) == start


def test_an_expert_at_the_fellows_own_organisation_is_flagged_and_added_only_on_purpose(
    app, make_fellow, make_organiser, make_expert, make_organisation, login
):
    app.config["MATCHING_SEMANTIC"] = False
    office = make_organisation("Cabinet Office")
    ada = make_fellow(name="Ada Lovelace", organisation_id=office.id)
    with app.app_context():
        tag = Tag(name=TOPIC, slug="digital-government")
        db.session.add(PolicyQuestion(fellow_id=ada.id, question="How do we keep services usable?", topics=[tag]))
        db.session.commit()
    colleague = make_expert("Dr Insider", topics=(TOPIC,), organisation_id=office.id)
    outsider = make_expert("Dr Outsider", topics=(TOPIC,))
    organiser = login(make_organiser())
    visit = _plan_visit(app, organiser, ada.id, 3)
    suggestions = _suggestions(text_of(organiser.get(f"/organiser/visits/{visit}")))
    assert "Conflict of interest: Dr Insider works at Cabinet Office, Ada Lovelace's own organisation." in suggestions
    assert "Dr Outsider works at" not in suggestions

    refused = organiser.post(f"/organiser/visits/{visit}/long-list", data={"expert_id": colleague})
    assert refused.status_code == 409 and "Tick the box to add them anyway" in text_of(refused)
    assert organiser.post(f"/organiser/visits/{visit}/long-list", data={"expert_id": outsider}).status_code == 302
    with app.app_context():
        assert db.session.scalars(select(ExpertInvitation.expert_id)).all() == [outsider]
    added = organiser.post(
        f"/organiser/visits/{visit}/long-list", data={"expert_id": colleague, "override_conflict": "y"}
    )
    assert added.status_code == 302
    long_list = text_of(organiser.get(f"/organiser/visits/{visit}"))
    assert "Conflict of interest Dr Insider works at Cabinet Office" in long_list[long_list.index("Long list") :]
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "expert.conflict_overridden")).one()
        assert "Dr Insider works at Cabinet Office" in entry.summary and entry.actor_id is not None
