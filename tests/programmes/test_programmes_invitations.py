"""Visit programmes and invitations to experts (issue 10), and experts as data subjects (issue 13):
organisers plan a visit, build a long list from explained suggestions and invite; each expert answers
by a private link (only its hash is stored), is reminded once, and can remove themselves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.models import AuditEntry, OutboxMessage, Tag
from extensions import db
from programmes.models import Expert, ExpertInvitation, PolicyQuestion, VisitProgramme
from tests.conftest import link_in
from tests.events_helpers import text_of


def _monday_in(weeks: int) -> date:
    today = date.today()
    return today + timedelta(days=7 * weeks - today.weekday())


@pytest.fixture
def visit_world(app, make_fellow, make_organiser, make_expert, login):
    """Ada (a fellow with a public profile) with one question, three experts, and an organiser."""
    ada = make_fellow(name="Ada Lovelace", email="ada@example.org", visibility="public", job_title="Deputy Director")
    with app.app_context():
        db.session.add(
            PolicyQuestion(
                fellow_id=ada.id,
                question="How can digital services stay usable for people who are rarely online?",
                context="Assisted routes for benefit claims.",
                topics=[Tag(name="Digital government", slug="digital-government")],
            )
        )
        db.session.commit()
    experts = {
        "topic": make_expert("Priya Shah", topics=("Digital government",), email="priya@uni.example"),
        "words": make_expert(
            "Tom Ward", email="tom@uni.example", biography="Studies assisted support for the rarely heard."
        ),
        "none": make_expert("Mei Nowak", email="mei@uni.example", biography="Energy systems."),
        "dnc": make_expert(
            "Sara Fletcher", topics=("Digital government",), email="sara@uni.example", do_not_contact=True
        ),
    }
    organiser = login(make_organiser())
    start = _monday_in(3)
    response = organiser.post(
        "/organiser/visits/new",
        data={
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
        },
    )
    assert response.status_code == 302, text_of(response)
    with app.app_context():
        visit_id = db.session.scalar(select(VisitProgramme.id))
        question_id = db.session.scalar(select(PolicyQuestion.id))
    return {"ada": ada, "experts": experts, "organiser": organiser, "visit": visit_id, "question": question_id}


def _add(world, who):
    return world["organiser"].post(
        f"/organiser/visits/{world['visit']}/long-list",
        data={"expert_id": world["experts"][who], "question_id": world["question"]},
    )


def _invite(world, *who) -> None:
    for name in who:
        assert _add(world, name).status_code == 302
    assert world["organiser"].post(f"/organiser/visits/{world['visit']}/invite").status_code == 302


def test_suggestions_are_ranked_and_explained_and_leave_out_do_not_contact(app, visit_world):
    app.config["MATCHING_SEMANTIC"] = False  # the keyword points alone (semantic: test_programmes_matching.py)
    page = text_of(visit_world["organiser"].get(f"/organiser/visits/{visit_world['visit']}"))
    suggestions = page[page.index("Suggested experts") :]
    assert suggestions.index("Priya Shah") < suggestions.index("Tom Ward")  # a shared topic outweighs words
    assert "Expertise in Digital government" in suggestions
    assert "Profile mentions “rarely”, “assisted”" in suggestions
    assert "Mei Nowak" not in suggestions and "Sara Fletcher" not in suggestions


def test_inviting_emails_a_private_link_once_and_stores_only_its_hash(app, visit_world, outbox):
    _invite(visit_world, "topic", "words")
    [first, second] = outbox(kind="expert_invitation")
    assert {first.to_address, second.to_address} == {"priya@uni.example", "tom@uni.example"}
    assert "Ada Lovelace, Deputy Director" in first.sent_text
    assert "How can digital services stay usable" in first.sent_text
    link = link_in(first, "/expert/")
    token = link.rsplit("/", 1)[1]
    assert token not in first.text_body  # the stored copy holds a placeholder
    with app.app_context():
        rows = db.session.scalars(select(ExpertInvitation)).all()
        assert {row.status for row in rows} == {"invited"}
        assert ExpertInvitation.hash(token) in {row.token_hash for row in rows}
        assert all(token not in (row.sealed_token or "") for row in rows)
    # Pressing the button again invites nobody twice.
    again = visit_world["organiser"].post(f"/organiser/visits/{visit_world['visit']}/invite", follow_redirects=True)
    assert "Nobody on the long list was waiting" in text_of(again)
    assert len(outbox(kind="expert_invitation")) == 2
    tracker = text_of(visit_world["organiser"].get(f"/organiser/visits/{visit_world['visit']}"))
    assert "Invited, no reply 2" in tracker and "Response rate 0%" in tracker


def test_an_expert_accepts_with_half_days_and_can_change_their_answer(app, visit_world, outbox, client):
    _invite(visit_world, "topic")
    link = link_in(outbox(kind="expert_invitation")[0], "/expert/")
    page = text_of(client.get(link, follow_redirects=True))
    assert "Would you meet Ada Lovelace?" in page and "What we keep about you, and why" in page
    with app.app_context():
        visit = db.session.get(VisitProgramme, visit_world["visit"])
        slots = [str(half) for half in visit.half_days()]
    refused = client.post(link, data={"decision": "accept"})
    assert refused.status_code == 400 and "Tick at least one half-day" in text_of(refused)
    forged = client.post(link, data={"decision": "accept", "available": ["2001-01-01 am"]})
    assert forged.status_code == 400
    accepted = client.post(link, data={"decision": "accept", "available": [slots[0], slots[3]]}, follow_redirects=True)
    assert "Thank you" in text_of(accepted)
    with app.app_context():
        invitation = db.session.scalar(select(ExpertInvitation))
        assert invitation.status == "accepted" and invitation.available == [slots[0], slots[3]]
    declined = client.post(link, data={"decision": "decline", "suggestion": "Dr Ana Ruiz, ana@uni.example"})
    assert declined.status_code == 302
    with app.app_context():
        invitation = db.session.scalar(select(ExpertInvitation))
        assert invitation.status == "declined" and invitation.available == []
    tracker = text_of(visit_world["organiser"].get(f"/organiser/visits/{visit_world['visit']}"))
    assert "Suggests: Dr Ana Ruiz, ana@uni.example" in tracker and "Response rate 100%" in tracker


def test_an_expert_who_declined_is_not_suggested_again_for_the_same_fellow(app, visit_world, outbox, client):
    _invite(visit_world, "topic")
    client.post(link_in(outbox(kind="expert_invitation")[0], "/expert/"), data={"decision": "decline"})
    with app.app_context():
        visit = db.session.get(VisitProgramme, visit_world["visit"])
        second = VisitProgramme(
            fellow_id=visit.fellow_id,
            starts_on=visit.starts_on + timedelta(days=28),
            ends_on=visit.ends_on + timedelta(days=28),
        )
        db.session.add(second)
        db.session.commit()
        second_id = second.id
    page = text_of(visit_world["organiser"].get(f"/organiser/visits/{second_id}"))
    suggestions = page[page.index("Suggested experts") :]
    assert "Tom Ward" in suggestions and "Priya Shah" not in suggestions


def test_a_forged_or_retired_link_is_not_found(app, visit_world, client):
    assert client.get("/expert/not-a-real-token").status_code == 404
    assert client.post("/expert/not-a-real-token/remove", data={"confirm": "y"}).status_code == 404


def test_non_responders_are_reminded_once_with_the_same_link(app, visit_world, outbox, runner):
    _invite(visit_world, "topic", "words")
    link = link_in(outbox(kind="expert_invitation")[0], "/expert/")
    assert "0 expert reminder(s)" in runner.invoke(args=["expert-reminders"]).output  # too early
    with app.app_context():
        for invitation in db.session.scalars(select(ExpertInvitation)):
            invitation.invited_at = datetime.now(UTC) - timedelta(days=6)
        db.session.commit()
    app.test_client().post(link, data={"decision": "decline"})  # one of them answers
    assert "1 expert reminder(s)" in runner.invoke(args=["expert-reminders"]).output
    assert "0 expert reminder(s)" in runner.invoke(args=["expert-reminders"]).output  # idempotent
    [reminder] = outbox(kind="expert_reminder")
    first_to_same = [m for m in outbox(kind="expert_invitation") if m.to_address == reminder.to_address][0]
    assert reminder.subject.startswith("Reminder:")
    assert link_in(reminder, "/expert/") == link_in(first_to_same, "/expert/")


def test_remove_me_erases_the_expert_and_keeps_only_anonymous_counts(app, visit_world, outbox, client):
    _invite(visit_world, "topic", "words")
    link = link_in(outbox(kind="expert_invitation")[0], "/expert/")
    email = outbox(kind="expert_invitation")[0].to_address
    client.post(link, data={"decision": "accept", "available": [], "message": "Happy to help"})
    unconfirmed = client.post(f"{link}/remove", data={})
    assert unconfirmed.status_code == 400 and "Tick the box to confirm" in text_of(unconfirmed)

    removed = client.post(f"{link}/remove", data={"confirm": "y"})
    assert removed.status_code == 200 and "You have been removed" in text_of(removed)
    with app.app_context():
        assert db.session.scalar(select(Expert).where(Expert.email == email)) is None
        assert db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.to_address == email)) == 0
        anonymous = db.session.scalar(select(ExpertInvitation).where(ExpertInvitation.expert_id.is_(None)))
        assert anonymous.status == "invited" and anonymous.token_hash is None and anonymous.message is None
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "expert.erased"))
        assert entry.actor_name == "the expert" and email not in entry.summary
    assert client.get(link, follow_redirects=True).status_code == 404
    tracker = text_of(visit_world["organiser"].get(f"/organiser/visits/{visit_world['visit']}"))
    assert "An expert who asked to be removed" in tracker and "Invited, no reply 2" in tracker


def test_the_purge_retires_links_of_past_visits_and_removes_free_text(app, visit_world, outbox, client, runner):
    _invite(visit_world, "topic")
    link = link_in(outbox(kind="expert_invitation")[0], "/expert/")
    client.post(link, data={"decision": "decline", "suggestion": "Ask Dr Ruiz"})
    runner.invoke(args=["purge"])
    assert client.get(link, follow_redirects=True).status_code == 200  # the visit is still ahead
    with app.app_context():
        visit = db.session.get(VisitProgramme, visit_world["visit"])
        visit.starts_on, visit.ends_on = date(2020, 3, 2), date(2020, 3, 6)
        db.session.commit()
    assert "1 expert links and answers of past visits" in runner.invoke(args=["purge"]).output
    assert client.get(link, follow_redirects=True).status_code == 404
    with app.app_context():
        invitation = db.session.scalar(select(ExpertInvitation))
        assert (invitation.status, invitation.suggestion, invitation.sealed_token) == ("declined", None, None)


def test_the_fellow_shows_only_what_their_visibility_allows(app, visit_world, outbox):
    with app.app_context():
        from fellows.models import User

        db.session.get(User, visit_world["ada"].id).visibility = "organisers"
        db.session.commit()
    _invite(visit_world, "topic")
    [message] = outbox(kind="expert_invitation")
    assert "Ada Lovelace" in message.sent_text and "Deputy Director" not in message.sent_text


def test_a_visit_needs_sensible_days_and_hours(app, visit_world):
    base = {
        "fellow_id": visit_world["ada"].id,
        "starts_on": "2030-03-09",  # a Saturday
        "ends_on": "2030-03-10",
        "day_starts": "09:00",
        "day_ends": "17:00",
        "lunch_starts": "12:30",
        "lunch_ends": "13:30",
        "meeting_minutes": "45",
        "max_per_day": "6",
        "reminder_after_days": "5",
    }
    organiser = visit_world["organiser"]
    weekend = organiser.post("/organiser/visits/new", data=base)
    assert weekend.status_code == 400 and "no weekday" in text_of(weekend)
    lunch = organiser.post(
        "/organiser/visits/new",
        data=base | {"starts_on": "2030-03-11", "ends_on": "2030-03-15", "lunch_starts": "08:00"},
    )
    assert lunch.status_code == 400 and "lunch window" in text_of(lunch)
    with app.app_context():
        assert db.session.scalar(select(func.count(VisitProgramme.id))) == 1  # only the fixture's


def test_the_visit_page_costs_the_same_queries_for_a_long_list_of_3_or_30(app, visit_world, make_expert, count_queries):
    def grow_to(total: int) -> None:
        with app.app_context():
            have = db.session.scalar(select(func.count(ExpertInvitation.id)))
        for n in range(have, total):
            expert_id = make_expert(f"Expert {n}", topics=("Digital government",), biography="Assisted digital.")
            with app.app_context():
                db.session.add(
                    ExpertInvitation(
                        programme_id=visit_world["visit"], expert_id=expert_id, status="invited", available=[]
                    )
                )
                db.session.commit()

    page = f"/organiser/visits/{visit_world['visit']}"
    grow_to(3)
    with count_queries() as few:
        assert visit_world["organiser"].get(page).status_code == 200
    grow_to(30)
    with count_queries() as many:
        assert visit_world["organiser"].get(page).status_code == 200
    assert many.count == few.count <= 15


@pytest.mark.postgres
def test_on_postgresql_full_text_ranking_orders_experts_with_equal_points(app, visit_world, make_expert):
    from tests.conftest import database_url

    if not database_url():
        pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL")
    app.config["MATCHING_SEMANTIC"] = False  # equal keyword points, so that only the rank tells them apart
    make_expert("Aaron Abbott", email="aaron@uni.example", biography="Assisted routes; rarely.")
    make_expert(
        "Zoe Young",
        email="zoe@uni.example",
        biography="Assisted routes, assisted routes, assisted routes; rarely, rarely.",
    )
    page = text_of(visit_world["organiser"].get(f"/organiser/visits/{visit_world['visit']}"))
    suggestions = page[page.index("Suggested experts") :]
    # The same words of the question appear in both (the same points), but Zoe's profile ranks higher.
    assert "Aaron Abbott — score 3" in suggestions and "Zoe Young — score 3" in suggestions
    assert suggestions.index("Zoe Young") < suggestions.index("Aaron Abbott")


def test_postgresql_full_text_finds_an_expert_by_an_edited_department_and_ranks_ties(
    app, visit_world, make_expert, count_queries
):
    """Full text (PostgreSQL) reads each profile's stored document, kept up to date when a profile is edited:
    an expert whose matching words are only in the department (which the word patterns do not search) is
    found, and experts with equal points are ordered by rank. SQLite has no full text: name order, and no
    such candidate."""
    from tests.conftest import database_url

    app.config["MATCHING_SEMANTIC"] = False  # equal keyword points, so that only the rank tells them apart
    dev = make_expert("Dev Patel", email="dev@uni.example", department="Energy", biography="Grid storage.")
    with app.app_context():
        db.session.get(Expert, dev).department = "Benefits and Claims Office"  # "benefit", "claims": 2 points
        db.session.commit()
    make_expert("Aaron Abbott", email="aaron@uni.example", biography="Assisted routes; rarely.")
    make_expert(
        "Zoe Young", email="zoe@uni.example", biography="Assisted routes, assisted routes, assisted routes; rarely."
    )
    with count_queries() as queries:
        page = text_of(visit_world["organiser"].get(f"/organiser/visits/{visit_world['visit']}"))
    suggestions = page[page.index("Suggested experts") :]
    assert "Aaron Abbott — score 3" in suggestions and "Zoe Young — score 3" in suggestions
    if database_url():
        assert "Dev Patel" in suggestions and "Benefits and Claims Office — score 2" in suggestions
        assert suggestions.index("Zoe Young") < suggestions.index("Aaron Abbott")  # the same points, higher rank
        # No profile is turned into a full-text document while the page is built: the stored one is read.
        assert not any("to_tsvector" in statement for statement in queries.statements)
    else:
        assert "Dev Patel" not in suggestions
        assert suggestions.index("Aaron Abbott") < suggestions.index("Zoe Young")


def test_an_experts_answer_reaches_organisers_as_each_chose(app, visit_world, outbox, client, make_organiser, runner):
    """An organiser who chose "each" gets an email per answer; the others read it in the daily digest."""
    each = make_organiser(name="Each", organiser_alerts="each")
    _invite(visit_world, "topic", "words")
    priya, tom = (link_in(message, "/expert/") for message in outbox(kind="expert_invitation"))
    with app.app_context():
        slots = [str(half) for half in db.session.get(VisitProgramme, visit_world["visit"]).half_days()]
    client.post(priya, data={"decision": "accept", "available": slots[:3]})
    app.test_client().post(tom, data={"decision": "decline", "suggestion": "Dr Ann Lee"})
    alerts = outbox(kind="organiser_alert")
    assert {alert.to_address for alert in alerts} == {each.email}
    lines = sorted(alert.text_body for alert in alerts)
    assert any("Priya Shah accepted to meet for Ada Lovelace's visit (3 half-days offered)" in line for line in lines)
    assert any("Tom Ward declined to meet for Ada Lovelace's visit and suggested a colleague" in line for line in lines)
    assert link_in(alerts[0], f"/organiser/visits/{visit_world['visit']}")
    assert "digest(s) queued." in runner.invoke(args=["digest"]).output
    digests = outbox(kind="organiser_digest")
    assert digests and each.email not in {mail.to_address for mail in digests}
    assert all("Priya Shah accepted to meet" in mail.text_body for mail in digests)
