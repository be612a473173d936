"""Issue 25 item 2: versioned question briefs. A fellow's questions are refined in rounds (draft, the
office's comments, revised) and issued as numbered versions with a diff; an invitation names the version
it was sent with, the expert keeps reading that version and is told when a later one exists; itineraries
name the version too."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from core.lib.textdiff import Piece, word_diff
from extensions import db
from programmes.models import BriefComment, BriefVersion, ExpertInvitation, PolicyQuestion, VisitProgramme
from tests.concurrency import at_the_same_moment
from tests.conftest import link_in
from tests.events_helpers import text_of
from tests.programmes_helpers import visit_form

FIRST = "Should a government use AI to triage casework?"
REVISED = "What should a government do before using AI to triage casework?"
HOUSING = "What would make planning decisions faster?"


def _edit(client, question_id: int, text: str, context: str = "") -> None:
    response = client.post(f"/programme/questions/{question_id}/edit", data={"question": text, "context": context})
    assert response.status_code == 302, response.get_data(as_text=True)


def _versions(app, fellow_id: int) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(BriefVersion.number).where(BriefVersion.fellow_id == fellow_id).order_by(BriefVersion.number)
            )
        )


def _with_questions(app, fellow, *texts) -> list[int]:
    with app.app_context():
        questions = [PolicyQuestion(fellow_id=fellow.id, question=text) for text in texts]
        db.session.add_all(questions)
        db.session.commit()
        return [question.id for question in questions]


def test_word_diff_marks_what_a_revision_removed_and_added():
    assert word_diff(FIRST, REVISED) == [
        Piece("removed", "Should "),
        Piece("added", "What should "),
        Piece("same", "a government "),
        Piece("removed", "use "),
        Piece("added", "do before using "),
        Piece("same", "AI to triage casework?"),
    ]
    assert word_diff(None, "New text") == [Piece("added", "New text")]
    assert word_diff("Same words", "Same words") == [Piece("same", "Same words")]


def test_a_brief_goes_through_rounds_of_comments_and_versions_with_what_each_changed(
    app, make_fellow, make_organiser, login, outbox
):
    ada = make_fellow(name="Ada Lovelace")
    ai, _housing = _with_questions(app, ada, FIRST, HOUSING)
    office = login(make_organiser(name="Olive Office", organiser_alerts="each"))
    fellow = login(ada)

    page = text_of(office.get(f"/programme/fellows/{ada.id}/brief"))
    assert "Draft, not issued yet" in page and FIRST in page

    # The office comments: the fellow is emailed the comment with a link to the brief.
    comment = "A yes/no question: ask what to do first."
    assert office.post(f"/programme/fellows/{ada.id}/brief", data={"body": comment}).status_code == 302
    (email,) = outbox(kind="brief_comment")
    assert (
        email.to_address == ada.email
        and comment in email.text_body
        and f"/programme/fellows/{ada.id}/brief" in email.text_body
    )

    # The office issues version 1; the fellow revises and replies; the office is told of the reply.
    assert office.post(f"/programme/fellows/{ada.id}/brief/issue", data={"note": "First round"}).status_code == 302
    _edit(fellow, ai, REVISED, "Evidence on error rates.")
    assert fellow.post(f"/programme/fellows/{ada.id}/brief", data={"body": "Reworded."}).status_code == 302
    assert any("Ada Lovelace commented" in m.subject for m in outbox(to_address=office_email(app)))

    html = fellow.get(f"/programme/fellows/{ada.id}/brief").get_data(as_text=True)
    draft = html[html.index("Draft, not issued yet") :]
    assert "<del>Should </del><ins>What should </ins>" in draft
    assert "<ins>Evidence on error rates.</ins>" in draft
    assert HOUSING not in draft  # unchanged questions are not repeated in a round's changes

    assert (
        office.post(f"/programme/fellows/{ada.id}/brief/issue", data={"note": "AI question reworded"}).status_code
        == 302
    )
    assert _versions(app, ada.id) == [1, 2]
    page = text_of(office.get(f"/programme/fellows/{ada.id}/brief"))
    assert "Version 2" in page and "AI question reworded" in page and "Draft, not issued yet" not in page
    history = page[page.index("Brief of Ada Lovelace") :]
    assert history.index("Reworded.") < history.index("Version 2")  # the reply belongs to version 1's round

    # Nothing changed since: no empty version.
    again = office.post(f"/programme/fellows/{ada.id}/brief/issue", data={})
    assert again.status_code == 409 and "Nothing has changed since version 2" in text_of(again)
    assert _versions(app, ada.id) == [1, 2]

    questions_page = text_of(fellow.get(f"/programme/fellows/{ada.id}"))
    assert "Experts are sent version 2 of the brief" in questions_page


def office_email(app) -> str:
    from fellows.models import User

    with app.app_context():
        return db.session.scalar(select(User.email).where(User.name == "Olive Office"))


def test_only_the_fellow_and_organisers_see_a_brief_and_only_organisers_issue_it(
    app, make_fellow, make_organiser, login
):
    ada, other = make_fellow(name="Ada Lovelace"), make_fellow(name="Grace Hopper")
    _with_questions(app, ada, FIRST)
    assert login(other).get(f"/programme/fellows/{ada.id}/brief").status_code == 404
    assert login(other).post(f"/programme/fellows/{ada.id}/brief", data={"body": "hello"}).status_code == 404
    assert app.test_client().get(f"/programme/fellows/{ada.id}/brief").status_code == 302  # to sign in
    assert login(ada).post(f"/programme/fellows/{ada.id}/brief/issue", data={}).status_code == 403
    organiser = login(make_organiser())
    assert organiser.get(f"/programme/fellows/{organiser_id(app)}/brief").status_code == 404  # not a fellow
    assert _versions(app, ada.id) == []
    with app.app_context():
        assert db.session.scalar(select(func.count(BriefComment.id))) == 0


def organiser_id(app) -> int:
    from fellows.models import User

    with app.app_context():
        return db.session.scalar(select(User.id).where(User.role == "organiser"))


def test_an_empty_or_overlong_comment_is_refused_and_nothing_is_saved(app, make_fellow, make_organiser, login):
    ada = make_fellow()
    office = login(make_organiser())
    empty = office.post(f"/programme/fellows/{ada.id}/brief", data={"body": "   "})
    assert empty.status_code == 400 and "Write the comment" in text_of(empty)
    assert office.post(f"/programme/fellows/{ada.id}/brief", data={"body": "x" * 4001}).status_code == 400
    nothing = office.post(f"/programme/fellows/{ada.id}/brief/issue", data={})
    assert nothing.status_code == 409 and "no questions to issue" in text_of(nothing)
    with app.app_context():
        assert db.session.scalar(select(func.count(BriefComment.id))) == 0
        assert db.session.scalar(select(func.count(BriefVersion.id))) == 0


def test_two_organisers_issuing_at_once_make_one_version(app, make_fellow, make_organiser, login):
    ada = make_fellow()
    _with_questions(app, ada, FIRST)
    tabs = [login(make_organiser()) for _ in range(2)]
    statuses = at_the_same_moment(
        [lambda t=t: t.post(f"/programme/fellows/{ada.id}/brief/issue", data={}) for t in tabs]
    )
    assert sorted(statuses) == [302, 409]
    assert _versions(app, ada.id) == [1]


def test_an_expert_keeps_the_version_they_were_invited_on_and_is_told_of_a_later_one(
    app, make_fellow, make_organiser, make_expert, login, outbox, runner
):
    ada = make_fellow(name="Ada Lovelace")
    (ai,) = _with_questions(app, ada, FIRST)
    office = login(make_organiser())
    assert office.post("/organiser/visits/new", data=visit_form(ada.id, reminder_after_days="3")).status_code == 302
    with app.app_context():
        visit_id = db.session.scalar(select(VisitProgramme.id))
    early = make_expert("Early Expert", email="early@uni.example")
    assert office.post(f"/organiser/visits/{visit_id}/long-list", data={"expert_id": early}).status_code == 302
    # Sending issues version 1 (nothing had been issued): the invitation names it.
    assert office.post(f"/organiser/visits/{visit_id}/invite").status_code == 302
    assert _versions(app, ada.id) == [1]
    (first_email,) = outbox(kind="expert_invitation")
    assert FIRST in first_email.text_body
    early_link = link_in(first_email, "/expert/")
    expert = app.test_client()
    page = text_of(expert.get(early_link, follow_redirects=True))
    assert "Version 1 of Ada Lovelace's questions" in page and "has revised these questions" not in page

    # The fellow revises; the office issues version 2; an expert invited now gets version 2.
    _edit(login(ada), ai, REVISED)
    assert office.post(f"/programme/fellows/{ada.id}/brief/issue", data={"note": "Reworded"}).status_code == 302
    late = make_expert("Late Expert", email="late@uni.example")
    assert office.post(f"/organiser/visits/{visit_id}/long-list", data={"expert_id": late}).status_code == 302
    assert office.post(f"/organiser/visits/{visit_id}/invite").status_code == 302
    late_email = next(m for m in outbox(kind="expert_invitation") if m.to_address == "late@uni.example")
    assert REVISED in late_email.text_body and FIRST not in late_email.text_body

    # The early expert still reads version 1, with a note that version 2 exists and what changed.
    html = expert.get(early_link, follow_redirects=True).get_data(as_text=True)
    assert "Version 1 of Ada Lovelace" in text_of_html(
        html
    ) and "has revised these questions since you were invited: version 2" in text_of_html(html)
    assert "<del>Should </del><ins>What should </ins>" in html
    # Their reminder repeats the version they were invited on.
    with app.app_context():
        for invitation in db.session.scalars(select(ExpertInvitation)):
            invitation.invited_at = datetime.now(UTC) - timedelta(days=4)
        db.session.commit()
    assert "2 expert reminder(s) queued" in runner.invoke(args=["expert-reminders"]).output
    reminders = {m.to_address: m.text_body for m in outbox(kind="expert_reminder")}
    assert FIRST in reminders["early@uni.example"] and REVISED in reminders["late@uni.example"]
    with app.app_context():
        numbers = dict(db.session.execute(select(ExpertInvitation.expert_id, ExpertInvitation.brief_version)).all())
        assert numbers == {early: 1, late: 2}


def text_of_html(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).replace(" '", "'")


def test_the_demo_brief_shows_two_rounds_and_the_itinerary_names_the_version(app, runner, login):
    from fellows.demo import DEMO_PASSWORD, ORGANISER_EMAIL
    from programmes.demo import FELLOW_EMAIL, FIRST_WORDING

    assert runner.invoke(args=["demo"]).exit_code == 0
    office = app.test_client()
    assert office.post("/login", data={"email": ORGANISER_EMAIL, "password": DEMO_PASSWORD}).status_code == 302
    fellow = app.test_client()
    assert fellow.post("/login", data={"email": FELLOW_EMAIL, "password": DEMO_PASSWORD}).status_code == 302
    with app.app_context():
        from fellows.models import User

        amelia = db.session.scalar(select(User).where(User.email == FELLOW_EMAIL))
        coming = db.session.scalars(
            select(VisitProgramme.id).where(VisitProgramme.fellow_id == amelia.id).order_by(VisitProgramme.starts_on)
        ).all()[-1]
    for client in (office, fellow):
        response = client.get(f"/programme/fellows/{amelia.id}/brief")
        assert response.status_code == 200
        page = text_of(response)
        assert "Version 1" in page and "Version 2" in page and "The AI question reworded" in page
        assert f"<del>{FIRST_WORDING.split()[0]} </del>" in response.get_data(as_text=True)
    itinerary = text_of(fellow.get(f"/programme/visits/{coming}"))
    assert "Invited with version 2 of the brief" in itinerary
    exported = json.loads(fellow.post("/account/export").get_data(as_text=True))
    assert [version["number"] for version in exported["brief"]["versions"]] == [1, 2]
    assert any("AI question" in comment["text"] for comment in exported["brief"]["comments"])


def test_issuing_a_version_emails_the_experts_already_asked_with_what_changed(
    app, make_fellow, make_organiser, make_expert, login, outbox
):
    ada = make_fellow(name="Ada Lovelace")
    ai, housing = _with_questions(app, ada, FIRST, HOUSING)
    office = login(make_organiser())
    assert office.post("/organiser/visits/new", data=visit_form(ada.id)).status_code == 302
    with app.app_context():
        visit_id = db.session.scalar(select(VisitProgramme.id))
    experts = {
        name: make_expert(f"{name.title()} Expert", email=f"{name}@uni.example")
        for name in ("waiting", "accepted", "declined", "unasked", "stopped")
    }
    for name in ("waiting", "accepted", "declined", "stopped"):
        assert (
            office.post(f"/organiser/visits/{visit_id}/long-list", data={"expert_id": experts[name]}).status_code == 302
        )
    assert office.post(f"/organiser/visits/{visit_id}/invite").status_code == 302  # version 1
    with app.app_context():
        from programmes.models import Expert

        for invitation in db.session.scalars(select(ExpertInvitation)):
            invitation.status = {experts["accepted"]: "accepted", experts["declined"]: "declined"}.get(
                invitation.expert_id, invitation.status
            )
        db.session.get(Expert, experts["stopped"]).do_not_contact = True
        db.session.commit()
    assert (
        office.post(f"/organiser/visits/{visit_id}/long-list", data={"expert_id": experts["unasked"]}).status_code
        == 302
    )

    # Ada rewords one question and drops the other; the office issues version 2 and tells the experts.
    fellow = login(ada)
    _edit(fellow, ai, REVISED)
    assert fellow.post(f"/programme/questions/{housing}/delete").status_code == 302
    issued = office.post(
        f"/programme/fellows/{ada.id}/brief/issue", data={"note": "AI question reworded", "tell_experts": "y"},
        follow_redirects=True,
    )  # fmt: skip
    assert "Version 2 of the brief has been issued; 2 experts already asked will be emailed." in text_of(issued)
    told = {m.to_address: m for m in outbox(kind="expert_brief_revised")}
    assert set(told) == {"waiting@uni.example", "accepted@uni.example"}
    waiting = told["waiting@uni.example"]
    assert waiting.subject == "Ada Lovelace's questions have changed"
    assert f"- {REVISED} (revised)" in waiting.text_body and f"- {HOUSING} (dropped)" in waiting.text_body
    assert "version 2 of their brief: AI question reworded" in waiting.text_body
    assert "your answer and meeting stand" in told["accepted@uni.example"].text_body
    # The link in the email opens their page, which shows the change word by word.
    page = app.test_client().get(link_in(waiting, "/expert/"), follow_redirects=True).get_data(as_text=True)
    assert "<del>Should </del><ins>What should </ins>" in page

    # Version 3, the box unticked (a browser then sends the form without it): nobody is emailed.
    _edit(fellow, ai, FIRST)
    assert office.post(f"/programme/fellows/{ada.id}/brief/issue", data={"note": ""}).status_code == 302
    assert len(outbox(kind="expert_brief_revised")) == 2
