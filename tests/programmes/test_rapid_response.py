"""Issue 26 item 3, rapid response: an organiser opens a question with a deadline of days, matching proposes
a panel (each proposal explains itself), the panel answers in writing by private link (late after the
deadline, kept and marked), the answers are compiled into a brief (a write-up under the Chatham House Rule)
and the panel is thanked, once."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from extensions import db
from programmes.models import PanelMember, RapidQuestion
from tests.conftest import link_in
from tests.events_helpers import text_of
from writeups.models import Note


def local_today():
    return datetime.now(UTC).astimezone(ZoneInfo("Europe/London")).date()


QUESTION = "What reduces loneliness among older people living alone?"
ANSWER = "Befriending schemes and shared meals reduce reported loneliness.\n\nThe evidence is strongest for groups."


@pytest.fixture
def world(app, make_organiser, make_expert, login):
    isolation = make_expert(
        "Dr Maya Patel",
        email="maya@uni.example",
        department="Department of Public Health",
        biography="Studies social isolation in later life and community befriending schemes.",
        topics=("Ageing",),
    )
    housing = make_expert("Dr Tom Reid", email="tom@uni.example", topics=("Housing",), biography="Planning law.")
    stopped = make_expert("Dr No Contact", email="no@uni.example", topics=("Ageing",), do_not_contact=True)
    with app.app_context():
        from core.models import Tag

        ageing = db.session.scalar(select(Tag.id).filter_by(name="Ageing"))
    return {
        "organiser": login(make_organiser()),
        "isolation": isolation,
        "housing": housing,
        "stopped": stopped,
        "ageing": ageing,
    }


def _open(organiser, *, days: int = 3, **fields) -> object:
    data = {
        "question": QUESTION,
        "context": "The Department of Health wants the evidence for a ministerial briefing.",
        "deadline_on": (local_today() + timedelta(days=days)).isoformat(),
        "deadline_time": "17:00",
    } | fields
    return organiser.post("/organiser/rapid/new", data=data)


def _opened(app, world, **fields) -> int:
    response = _open(world["organiser"], topics=[str(world["ageing"])], **fields)
    assert response.status_code == 302, text_of(response)
    return int(re.search(r"/organiser/rapid/(\d+)$", response.headers["Location"]).group(1))


def _panel_asked(app, world, outbox) -> tuple[int, str]:
    """A question whose panel (Maya) has been asked; the id and Maya's private link."""
    rapid_id = _opened(app, world)
    organiser = world["organiser"]
    assert (
        organiser.post(f"/organiser/rapid/{rapid_id}/panel", data={"experts": [world["isolation"]]}).status_code == 302
    )
    assert organiser.post(f"/organiser/rapid/{rapid_id}/ask").status_code == 302
    (email,) = outbox(kind="panel_question")
    return rapid_id, link_in(email, "/panel/")


def test_matching_proposes_a_panel_that_explains_itself(app, world):
    rapid_id = _opened(app, world)
    page = text_of(world["organiser"].get(f"/organiser/rapid/{rapid_id}"))
    assert QUESTION in page and "Answers by" in page
    start = page.index("Proposed by matching")
    proposed = page[start : page.index("No answer yet", start)]
    assert "Dr Maya Patel" in proposed and "Expertise in Ageing" in proposed
    assert "Dr No Contact" not in proposed  # marked do not contact
    assert "Nobody is on the panel yet" in page
    listed = text_of(world["organiser"].get("/organiser/rapid"))
    assert QUESTION in listed


def test_bad_questions_are_refused_with_the_reason_and_nothing_is_saved(app, world):
    organiser = world["organiser"]
    for fields, message in (
        ({"question": "  "}, "Write the question"),
        ({"deadline_on": "2026-02-31"}, "Not a valid date value."),
        ({"deadline_on": (local_today() - timedelta(days=1)).isoformat()}, "at least an hour from now"),
        ({"deadline_on": (local_today() + timedelta(days=90)).isoformat()}, "within 60 days"),
    ):
        refused = _open(organiser, **fields)
        assert refused.status_code == 400 and message in text_of(refused), fields
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RapidQuestion)) == 0
    # A one-word question still gets an answer from matching, with the reason its scores are low.
    one_word = _opened(app, world, question="Loneliness")
    assert world["organiser"].get(f"/organiser/rapid/{one_word}").status_code == 200


def test_the_panel_is_asked_once_and_answers_in_writing_by_private_link(app, world, outbox):
    rapid_id, link = _panel_asked(app, world, outbox)
    organiser = world["organiser"]
    (email,) = outbox(kind="panel_question")
    assert email.to_address == "maya@uni.example" and QUESTION in email.text_body
    assert "Chatham House Rule" in email.text_body
    # A second press emails nobody again.
    again = organiser.post(f"/organiser/rapid/{rapid_id}/ask", follow_redirects=True)
    assert len(outbox(kind="panel_question")) == 1
    assert "Everyone on the panel was asked already." in text_of(again)

    expert = app.test_client()
    opened = expert.get(link)
    assert opened.status_code == 302 and "/panel/answers/" in opened.headers["Location"]  # the token leaves the URL
    page_url = opened.headers["Location"]
    page = text_of(expert.get(page_url))
    assert QUESTION in page and "The Department of Health wants the evidence" in page
    empty = expert.post(page_url, data={"answer": "   "})
    assert empty.status_code == 400 and "Write your answer" in text_of(empty)
    with app.app_context():
        assert db.session.scalar(select(PanelMember.answer)) is None
    sent = expert.post(page_url, data={"answer": ANSWER}, follow_redirects=True)
    assert "your answer has reached the organisers" in text_of(sent) and "marked late" not in text_of(sent)

    shown = organiser.get(f"/organiser/rapid/{rapid_id}").get_data(as_text=True)
    assert "Befriending schemes and shared meals" in shown and "Late" not in text_of_section(shown, "answers")
    assert "Answered" in text_of_section(shown, "panel")
    # Another browser without the link, and a made-up token, see nothing.
    assert app.test_client().get(page_url).status_code == 404
    assert app.test_client().get("/panel/not-a-real-token").status_code == 404


def text_of_section(html: str, section_id: str) -> str:
    start = html.index(f'aria-labelledby="{section_id}"')
    return re.sub(r"<[^>]+>", " ", html[start : html.index("</section>", start)])


def test_an_answer_after_the_deadline_is_kept_and_marked_late(app, world, outbox):
    rapid_id, link = _panel_asked(app, world, outbox)
    with app.app_context():
        db.session.get(RapidQuestion, rapid_id).deadline_at = datetime.now(UTC) - timedelta(hours=2)
        db.session.commit()
    expert = app.test_client()
    page = text_of(expert.get(link, follow_redirects=True))
    assert "The deadline has passed. You can still answer" in page
    sent = expert.post(expert.get(link).headers["Location"], data={"answer": ANSWER}, follow_redirects=True)
    assert "It came after the deadline, so it is marked late." in text_of(sent)
    with app.app_context():
        assert db.session.scalar(select(PanelMember.late)) is True
    shown = world["organiser"].get(f"/organiser/rapid/{rapid_id}").get_data(as_text=True)
    assert "Late" in text_of_section(shown, "answers")
    # Nobody new can be asked once the deadline has passed.
    organiser = world["organiser"]
    assert organiser.post(f"/organiser/rapid/{rapid_id}/panel", data={"experts": [world["housing"]]}).status_code == 302
    assert organiser.post(f"/organiser/rapid/{rapid_id}/ask").status_code == 409


def test_the_brief_compiles_the_answers_without_names_and_is_checked_before_publishing(
    app, world, outbox, make_fellow, login
):
    rapid_id, link = _panel_asked(app, world, outbox)
    expert = app.test_client()
    expert.post(expert.get(link).headers["Location"], data={"answer": ANSWER})
    organiser = world["organiser"]
    started = organiser.post(f"/organiser/notes/new/rapid/{rapid_id}")
    assert started.status_code == 302
    note_id = int(re.search(r"/organiser/notes/(\d+)/edit", started.headers["Location"]).group(1))
    with app.app_context():
        note = db.session.get(Note, note_id)
        assert (note.state, note.chatham_house, note.subject_kind) == ("draft", True, "rapid")
        assert "## The question" in note.body and QUESTION in note.body
        assert "> Befriending schemes and shared meals reduce reported loneliness." in note.body
        assert "Maya" not in note.title + note.summary + note.body
        version = note.version
    named = {"version": str(version), "title": "What reduces loneliness", "summary": "A brief."}
    named |= {"body": "Dr Maya Patel found befriending works.", "audience": "fellows", "chatham_house": "y"}
    assert organiser.post(f"/organiser/notes/{note_id}/edit", data=named).status_code == 302
    refused = organiser.post(f"/organiser/notes/{note_id}/publish", data={})
    assert refused.status_code == 400 and "This note names Dr Maya Patel" in text_of(refused)


def test_thanks_go_once_to_each_expert_who_answered(app, world, outbox):
    rapid_id, link = _panel_asked(app, world, outbox)
    organiser = world["organiser"]
    assert organiser.post(f"/organiser/rapid/{rapid_id}/panel", data={"experts": [world["housing"]]}).status_code == 302
    assert organiser.post(f"/organiser/rapid/{rapid_id}/ask").status_code == 302  # Tom asked, never answers
    expert = app.test_client()
    expert.post(expert.get(link).headers["Location"], data={"answer": ANSWER})
    note = {"note": "Your evidence went into the minister's briefing."}
    thanked = organiser.post(f"/organiser/rapid/{rapid_id}/thank", data=note, follow_redirects=True)
    assert "1 expert thanked." in text_of(thanked)
    again = organiser.post(f"/organiser/rapid/{rapid_id}/thank", data=note, follow_redirects=True)
    assert "Everyone who answered was thanked already." in text_of(again)
    (thanks,) = outbox(kind="panel_thanks")
    assert thanks.to_address == "maya@uni.example" and "minister's briefing" in thanks.text_body


def test_only_organisers_run_rapid_response_and_an_asked_expert_stays_on_the_panel(
    app, world, outbox, make_fellow, login, client
):
    rapid_id, _ = _panel_asked(app, world, outbox)
    fellow = login(make_fellow())
    for path in ("/organiser/rapid", "/organiser/rapid/new", f"/organiser/rapid/{rapid_id}"):
        assert fellow.get(path).status_code == 403
        assert client.get(path).status_code == 302
    assert fellow.post(f"/organiser/rapid/{rapid_id}/ask").status_code == 403
    with app.app_context():
        member_id = db.session.scalar(select(PanelMember.id))
    refused = world["organiser"].post(f"/organiser/panel-members/{member_id}/remove")
    assert refused.status_code == 409 and "asked already" in text_of(refused)
    assert world["organiser"].get("/organiser/rapid/999999").status_code == 404


def test_an_expert_who_leaves_the_network_takes_their_panel_answers(app, world, outbox):
    rapid_id, link = _panel_asked(app, world, outbox)
    expert = app.test_client()
    expert.post(expert.get(link).headers["Location"], data={"answer": ANSWER})
    with app.app_context():
        from programmes.models import Expert
        from programmes.visits.invitations import erase_expert

        erase_expert(db.session.get(Expert, world["isolation"]))
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(PanelMember)) == 0
    assert app.test_client().get(link).status_code == 404
    assert "Befriending" not in world["organiser"].get(f"/organiser/rapid/{rapid_id}").get_data(as_text=True)


def test_the_demo_question_shows_its_panel_and_its_brief_can_be_started_and_edited(app, runner, client):
    from fellows.demo import DEMO_PASSWORD, ORGANISER_EMAIL
    from programmes.demo import RAPID_QUESTION

    assert runner.invoke(args=["demo"]).exit_code == 0
    client.post("/login", data={"email": ORGANISER_EMAIL, "password": DEMO_PASSWORD})
    listed = text_of(client.get("/organiser/rapid"))
    assert RAPID_QUESTION in listed
    with app.app_context():
        rapid_id = db.session.scalar(select(RapidQuestion.id))
    page = client.get(f"/organiser/rapid/{rapid_id}")
    assert page.status_code == 200
    answers = text_of_section(page.get_data(as_text=True), "answers")
    assert "Trials in local government kept service levels steady" in answers
    assert "The evidence for frontline services is thin" in answers
    started = client.post(f"/organiser/notes/new/rapid/{rapid_id}")
    assert started.status_code == 302
    editor = client.get(started.headers["Location"])
    assert editor.status_code == 200 and "Rapid response: " + RAPID_QUESTION in text_of(editor)


def test_organisers_hear_of_each_answer_by_email_or_in_their_digest(app, world, outbox, make_organiser, runner):
    eager = make_organiser(name="Eva Each", organiser_alerts="each")
    reader = make_organiser(name="Dee Digest", organiser_alerts="digest")
    _, link = _panel_asked(app, world, outbox)
    expert = app.test_client()
    page_url = expert.get(link).headers["Location"]
    expert.post(page_url, data={"answer": ANSWER})
    expert.post(page_url, data={"answer": ANSWER + " Revised."})  # a change is not a second alert
    alerts = [m for m in outbox() if m.to_address == eager.email and "answered" in m.subject]
    assert [m.subject for m in alerts] == ["Dr Maya Patel answered a rapid-response question"]
    runner.invoke(args=["digest"])
    [digest] = [m for m in outbox(kind="organiser_digest") if m.to_address == reader.email]
    assert "Answers to rapid-response questions" in digest.text_body
    assert f"Dr Maya Patel answered “{QUESTION}”" in digest.text_body


def test_two_organisers_adding_the_same_expert_at_once_put_her_on_the_panel_once(app, world, make_organiser, login):
    from tests.concurrency import at_the_same_moment

    rapid_id = _opened(app, world)
    tabs = [world["organiser"], login(make_organiser())]
    add = {"experts": [world["isolation"]]}
    statuses = at_the_same_moment([lambda t=t: t.post(f"/organiser/rapid/{rapid_id}/panel", data=add) for t in tabs])
    assert statuses == [302, 302]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PanelMember)) == 1
