"""Issue 26 item 2, the follow-ups ledger: after a meeting the fellow (or an organiser for her) records the
actions agreed, with who does each and by when; they are marked done or reopened on the itinerary; a
nudge goes out when one falls due (the fellow for her own, the organisers for the team's and the
experts'); the dashboard counts done, open and overdue and lists the overdue to chase."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.timeutil import to_local
from extensions import db
from programmes.models import FollowUp, Meeting, VisitProgramme
from tests.conftest import link_in
from tests.events_helpers import text_of
from tests.programmes_helpers import visit_with_meetings


@pytest.fixture
def held(app, make_fellow, make_organiser, make_expert, login):
    """Ada's visit: a meeting with Priya Shah held yesterday, and one with Tom Ward next week."""
    ada = make_fellow(name="Ada Lovelace", email="ada@example.org")
    grace = make_fellow(name="Grace Hopper", email="grace@example.org")
    organiser = make_organiser(name="Olive Organiser", organiser_alerts="each")
    experts = [make_expert(name) for name in ("Priya Shah", "Tom Ward")]
    now = datetime.now(UTC).replace(microsecond=0)
    made = visit_with_meetings(app, ada.id, experts, [now - timedelta(days=1), now + timedelta(days=7)])
    ids = {"visit": made["visit"], "past": made["meetings"][0], "coming": made["meetings"][1]}
    return ids | {"ada": login(ada), "grace": login(grace), "organiser": login(organiser), "organiser_user": organiser}


def _today():
    """Today in the configured zone (Europe/London), as the app counts it."""
    return datetime.now(UTC).astimezone(ZoneInfo("Europe/London")).date()


def _add(client, meeting_id, action="Send the casework data", owner="fellow", due=None, **extra):
    due = (_today() + timedelta(days=7)).isoformat() if due is None else due
    data = {f"u{meeting_id}-action": action, f"u{meeting_id}-owner": owner, f"u{meeting_id}-due_on": due}
    return client.post(f"/programme/meetings/{meeting_id}/follow-ups", data=data | extra)


def _follow_ups(app):
    with app.app_context():
        return [
            (f.action, f.owner, f.due_on, f.done_at is not None)
            for f in db.session.scalars(select(FollowUp).order_by(FollowUp.id))
        ]


def test_the_fellow_records_follow_ups_marks_them_done_reopens_and_removes_them(app, held):
    ada, visit = held["ada"], held["visit"]
    page = text_of(ada.get(f"/programme/visits/{visit}"))
    assert "No follow-up recorded yet" in page and page.count("Add the follow-up") == 1  # the held meeting only
    due = _today() + timedelta(days=14)
    response = _add(ada, held["past"], "Send  the casework data ", "fellow", due.isoformat())
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#meeting-{held['past']}")
    _add(ada, held["past"], "Introduce Ada to the ethics board", "expert")
    assert _follow_ups(app) == [
        ("Send the casework data", "fellow", due, False),
        ("Introduce Ada to the ethics board", "expert", _today() + timedelta(days=7), False),
    ]
    page = text_of(ada.get(f"/programme/visits/{visit}"))
    assert f"Send the casework data · The fellow · due {due:%-d %B %Y}" in page
    assert "Introduce Ada to the ethics board · The expert" in page

    with app.app_context():
        first = db.session.scalar(select(FollowUp.id).where(FollowUp.owner == "fellow"))
    assert ada.post(f"/programme/follow-ups/{first}/done").status_code == 302
    assert ada.post(f"/programme/follow-ups/{first}/done").status_code == 302  # a second click: no change
    page = text_of(ada.get(f"/programme/visits/{visit}", follow_redirects=True))
    assert "Done Send the casework data" in page and "Reopen" in page
    assert _follow_ups(app)[0][3] is True
    ada.post(f"/programme/follow-ups/{first}/reopen")
    assert _follow_ups(app)[0][3] is False
    ada.post(f"/programme/follow-ups/{first}/delete")
    assert [row[0] for row in _follow_ups(app)] == ["Introduce Ada to the ethics board"]
    # An organiser records one for her too.
    assert _add(held["organiser"], held["past"], "Book a second meeting", "organiser").status_code == 302
    assert len(_follow_ups(app)) == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("action", "   ", "Say what is to be done"),
        ("action", "x" * 301, "300"),
        ("owner", "the minister", "Not a valid choice"),
        ("due_on", "31/02/2027", "Not a valid date value"),
        ("due_on", "", "Enter the date it is due"),
        ("due_on", "2001-01-01", "cannot be before the meeting"),
        ("due_on", "2099-01-01", "more than three years away"),
    ],
)
def test_a_follow_up_that_does_not_validate_says_why_keeps_what_was_typed_and_saves_nothing(
    app, held, field, value, message
):
    data = {
        "action": "Send the casework data",
        "owner": "expert",
        "due": (_today() + timedelta(days=3)).isoformat(),
    }
    data[{"due_on": "due"}.get(field, field)] = value
    response = _add(held["ada"], held["past"], data["action"], data["owner"], data["due"])
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "There is a problem" in page and message in page
    if field != "action":
        assert "Send the casework data" in page  # what was typed is still there
    assert _follow_ups(app) == []


def test_follow_ups_wait_for_the_meeting_and_are_private_to_the_fellow_and_organisers(app, held, client):
    early = _add(held["ada"], held["coming"])
    assert early.status_code == 400 and "once the meeting has taken place" in early.get_data(as_text=True)
    _add(held["ada"], held["past"])
    with app.app_context():
        follow_up = db.session.scalar(select(FollowUp.id))
    grace = held["grace"]
    assert _add(grace, held["past"], "Spam").status_code == 404
    for action in ("done", "reopen", "delete"):
        assert grace.post(f"/programme/follow-ups/{follow_up}/{action}").status_code == 404
        assert client.post(f"/programme/follow-ups/{follow_up}/{action}").status_code == 302  # to sign in
    assert "Send the casework data" not in grace.get("/organiser/programme-dashboard").get_data(as_text=True)
    assert _follow_ups(app) == [("Send the casework data", "fellow", _today() + timedelta(days=7), False)]
    assert held["ada"].get(f"/programme/follow-ups/{follow_up}/done").status_code == 405  # changes are POSTs


def test_a_double_click_records_one_follow_up(app, held):
    form = held["ada"].get(f"/programme/visits/{held['visit']}").get_data(as_text=True)
    key = re.search(rf'name="u{held["past"]}-form_key"[^>]*value="([^"]+)"', form).group(1)
    for _ in range(2):
        assert _add(held["ada"], held["past"], **{f"u{held['past']}-form_key": key}).status_code == 302
    assert len(_follow_ups(app)) == 1


def test_a_nudge_goes_once_when_due_to_the_fellow_or_the_organisers(app, held, runner, outbox):
    today = _today()
    with app.app_context():
        meeting = db.session.get(Meeting, held["past"])
        db.session.add_all(
            [
                FollowUp(meeting=meeting, action="Send the casework data", owner="fellow", due_on=today),
                FollowUp(meeting=meeting, action="Send Ada the 2023 evaluation", owner="expert", due_on=today),
                FollowUp(meeting=meeting, action="Book a second meeting", owner="organiser", due_on=today),
                FollowUp(meeting=meeting, action="Not yet", owner="fellow", due_on=today + timedelta(days=1)),
                FollowUp(
                    meeting=meeting, action="Already done", owner="fellow", due_on=today, done_at=datetime.now(UTC)
                ),
            ]
        )
        db.session.commit()
    assert "3 follow-up nudge(s) queued." in runner.invoke(args=["follow-up-nudges"]).output
    [to_fellow] = outbox(kind="follow_up_due")
    assert (
        to_fellow.to_address == "ada@example.org" and to_fellow.subject == "A follow-up is due: Send the casework data"
    )
    assert "your meeting with Priya Shah" in to_fellow.sent_text
    assert link_in(to_fellow, f"/programme/visits/{held['visit']}").endswith(f"#meeting-{held['past']}")
    alerts = outbox(kind="organiser_alert")
    assert {alert.to_address for alert in alerts} == {held["organiser_user"].email}
    assert sorted(re.search(r"The (expert|programme team) to [^:]+", a.text_body).group(0) for a in alerts) == [
        "The expert to send Ada the 2023 evaluation",
        "The programme team to book a second meeting",
    ]
    assert "agreed by Ada Lovelace with Priya Shah" in alerts[0].text_body
    # Once: a rerun sends nothing; reopened after being done, it is nudged again.
    assert "0 follow-up nudge(s) queued." in runner.invoke(args=["follow-up-nudges"]).output
    with app.app_context():
        first = db.session.scalar(select(FollowUp.id).where(FollowUp.action == "Send the casework data"))
    held["ada"].post(f"/programme/follow-ups/{first}/done")
    held["ada"].post(f"/programme/follow-ups/{first}/reopen")
    assert "1 follow-up nudge(s) queued." in runner.invoke(args=["follow-up-nudges"]).output


def test_a_follow_up_recorded_on_or_after_its_day_is_not_nudged(app, held, runner, outbox):
    _add(held["ada"], held["past"], due=_today().isoformat())
    assert "0 follow-up nudge(s) queued." in runner.invoke(args=["follow-up-nudges"]).output
    assert outbox(kind="follow_up_due") == []


def test_organisers_who_chose_the_digest_read_the_teams_follow_ups_there(app, held, runner, outbox, make_organiser):
    reader = make_organiser(name="Dee Digest", organiser_alerts="digest")
    with app.app_context():
        meeting = db.session.get(Meeting, held["past"])
        db.session.add(FollowUp(meeting=meeting, action="Book a second meeting", owner="organiser", due_on=_today()))
        db.session.add(FollowUp(meeting=meeting, action="Fellow's own", owner="fellow", due_on=_today()))
        db.session.commit()
    runner.invoke(args=["digest"])
    [digest] = [m for m in outbox(kind="organiser_digest") if m.to_address == reader.email]
    assert "The programme team to book a second meeting" in digest.text_body
    assert "Fellow's own" not in digest.text_body  # the fellow is nudged herself


def test_the_dashboard_counts_follow_ups_and_lists_the_overdue_to_chase(app, held, count_queries):
    organiser = held["organiser"]
    page = text_of(organiser.get("/organiser/programme-dashboard"))
    assert "No follow-up has been recorded yet" in page
    today = _today()

    def add(n, **fields):
        with app.app_context():
            meeting = db.session.get(Meeting, held["past"])
            for i in range(n):
                db.session.add(FollowUp(meeting=meeting, action=f"Action {i}", owner="fellow", **fields))
            db.session.commit()

    add(2, due_on=today - timedelta(days=3))
    add(1, due_on=today + timedelta(days=3))
    add(1, due_on=today - timedelta(days=9), done_at=datetime.now(UTC))
    page = text_of(organiser.get("/organiser/programme-dashboard"))
    assert "Follow-ups done 1 of 4" in page and "Follow-ups overdue 2" in page
    assert "1 done, 3 open 2 overdue" in page  # Ada's row
    assert f"Overdue {today - timedelta(days=3):%-d %B %Y} Action 0 The fellow Ada Lovelace Priya Shah" in page
    csv = organiser.get("/organiser/programme-dashboard.csv").get_data(as_text=True)
    assert csv.splitlines()[0].endswith("Follow-ups done,Follow-ups open,Follow-ups overdue")
    assert csv.splitlines()[1].endswith(",1,3,2")

    with count_queries() as few:
        organiser.get("/organiser/programme-dashboard")
    add(10, due_on=today - timedelta(days=1))
    with count_queries() as many:
        organiser.get("/organiser/programme-dashboard")
    # The signed-in organiser is read again after a write (the cache of signed-in people): not the page's.
    page_statements = [
        [st for st in counter.statements if not re.search(r"WHERE users.id = (\?|%\(\w+\)s(::INTEGER)?)\s*$", st)]
        for counter in (few, many)
    ]
    assert len(page_statements[1]) == len(page_statements[0]), page_statements[1]
    assert "Follow-ups overdue 12" in text_of(organiser.get("/organiser/programme-dashboard"))


def test_download_my_data_carries_the_follow_ups(app, held):
    _add(held["ada"], held["past"])
    data = held["ada"].post("/account/export").get_json()
    [meeting] = [m for visit in data["programme"]["visits"] for m in visit["meetings"] if m["follow_ups"]]
    assert meeting["follow_ups"] == [
        {
            "action": "Send the casework data",
            "owner": "The fellow",
            "due_on": (_today() + timedelta(days=7)).isoformat(),
            "done_at": None,
        }
    ]


def test_the_demo_fellows_past_visit_has_follow_ups_to_work_through(app, runner, login):
    from fellows.demo import DEMO_PASSWORD, ORGANISER_EMAIL
    from programmes.demo import FELLOW_EMAIL

    assert runner.invoke(args=["demo"]).exit_code == 0
    amelia = app.test_client()
    assert amelia.post("/login", data={"email": FELLOW_EMAIL, "password": DEMO_PASSWORD}).status_code == 302
    with app.app_context():
        past = db.session.scalars(select(VisitProgramme).order_by(VisitProgramme.starts_on)).first()
        overdue = db.session.scalar(
            select(FollowUp).where(FollowUp.action == "Ask for a colleague in Law for the triage question")
        )
        overdue_id, meeting_id, met_on = overdue.id, overdue.meeting_id, to_local(overdue.meeting.starts_at)
    page = text_of(amelia.get(f"/programme/visits/{past.id}"))
    assert "Done Send the assisted-digital survey results" in page
    assert "Overdue Ask for a colleague in Law for the triage question · The programme team" in page
    assert "Ask about a return visit in the spring · The programme team" in page
    assert met_on.date() < _today()
    organiser = app.test_client()
    organiser.post("/login", data={"email": ORGANISER_EMAIL, "password": DEMO_PASSWORD})
    board = text_of(organiser.get("/organiser/programme-dashboard"))
    assert "Follow-ups done 2 of 5" in board and "Follow-ups overdue 2" in board
    assert amelia.post(f"/programme/follow-ups/{overdue_id}/done").status_code == 302
    assert "Follow-ups overdue 1" in text_of(organiser.get("/organiser/programme-dashboard"))
    # The demo's overdue follow-ups were nudged on their day: the first scheduled run sends nothing about them.
    assert "0 follow-up nudge(s) queued." in runner.invoke(args=["follow-up-nudges"]).output
    assert _add(amelia, meeting_id, "Share the pilot's results", "fellow").status_code == 302


def test_a_follow_up_is_edited_and_a_later_due_date_is_nudged_again(app, held, runner, outbox):
    ada = held["ada"]
    today = _today()
    with app.app_context():
        meeting = db.session.get(Meeting, held["past"])
        follow_up = FollowUp(
            meeting=meeting, action="Send the paper", owner="fellow", due_on=today, nudged_at=datetime.now(UTC)
        )
        db.session.add(follow_up)
        db.session.commit()
        follow_up_id = follow_up.id
    form = ada.get(f"/programme/follow-ups/{follow_up_id}/edit")
    assert form.status_code == 200 and 'value="Send the paper"' in form.get_data(as_text=True)
    later = (today + timedelta(days=7)).isoformat()
    bad = ada.post(
        f"/programme/follow-ups/{follow_up_id}/edit", data={"action": " ", "owner": "fellow", "due_on": later}
    )
    assert bad.status_code == 400 and "Say what is to be done" in text_of(bad)
    saved = ada.post(
        f"/programme/follow-ups/{follow_up_id}/edit",
        data={"action": "Send the 2023 evaluation", "owner": "expert", "due_on": later},
    )
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"#meeting-{held['past']}")
    with app.app_context():
        follow_up = db.session.get(FollowUp, follow_up_id)
        assert (follow_up.action, follow_up.owner, follow_up.due_on.isoformat()) == (
            "Send the 2023 evaluation",
            "expert",
            later,
        )
        assert follow_up.nudged_at is None  # re-armed for its new day
    before = ada.post(
        f"/programme/follow-ups/{follow_up_id}/edit",
        data={"action": "Send it", "owner": "fellow", "due_on": "2001-01-01"},
    )
    assert before.status_code == 400 and "cannot be before the meeting" in text_of(before)
    assert held["grace"].get(f"/programme/follow-ups/{follow_up_id}/edit").status_code == 404


def test_a_deactivated_fellow_is_not_written_to_about_her_follow_ups(app, held, runner, outbox):
    from fellows.models import User

    with app.app_context():
        meeting = db.session.get(Meeting, held["past"])
        db.session.add(FollowUp(meeting=meeting, action="Send the casework data", owner="fellow", due_on=_today()))
        db.session.add(FollowUp(meeting=meeting, action="Book a second meeting", owner="organiser", due_on=_today()))
        db.session.scalar(select(User).filter_by(email="ada@example.org")).active = False
        db.session.commit()
    assert "1 follow-up nudge(s) queued." in runner.invoke(args=["follow-up-nudges"]).output
    assert outbox(kind="follow_up_due") == []  # the team's is still nudged, to the organisers
    assert len(outbox(kind="organiser_alert")) == 1
    assert "0 follow-up nudge(s) queued." in runner.invoke(args=["follow-up-nudges"]).output


def test_an_expert_leaving_the_network_is_no_longer_named_in_the_follow_ups(app, held):
    from programmes.models import Expert
    from programmes.visits.invitations import erase_expert

    with app.app_context():
        meeting = db.session.get(Meeting, held["past"])
        meeting.follow_up = "Priya Shah will send her survey."
        db.session.add(FollowUp(meeting=meeting, action="Ask PRIYA SHAH for the data", owner="fellow", due_on=_today()))
        db.session.commit()
        erase_expert(db.session.scalar(select(Expert).filter_by(name="Priya Shah")))
        db.session.commit()
        meeting = db.session.get(Meeting, held["past"])
        assert meeting.follow_up == "the expert will send her survey."
        assert db.session.scalar(select(FollowUp.action)) == "Ask the expert for the data"
