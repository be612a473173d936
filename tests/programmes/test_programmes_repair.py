"""The living schedule (issue 25, item 6): when a meeting is cancelled or an expert's half-days change after
the week is built, the organiser repairs the timetable: a proposal that moves only what must move, seen
before anything changes; applied once (a stale one refused); recorded as a version of the itinerary that
the fellow and the organisers read; and sent only to the people it touches, as updated invitations
(REQUEST with the same UID and a higher SEQUENCE when moved, CANCEL when cancelled)."""

from __future__ import annotations

import html
from datetime import date, timedelta

import icalendar
import pytest
from sqlalchemy import func, select

from core.models import OutboxMessage
from extensions import db
from programmes.models import Expert, ExpertInvitation, ItineraryVersion, Meeting, TimetableProposal, VisitProgramme
from tests.events_helpers import text_of

EXPERTS = 11


@pytest.fixture
def week(app, make_fellow, make_organiser, make_expert, login):
    """A five-day visit, at most two meetings a day (ten places), and eleven experts who accepted any
    half-day: after solving, ten meetings and one expert left out."""
    ada = make_fellow(name="Ada Lovelace", email="ada@example.org")
    today = date.today()
    monday = today + timedelta(days=21 - today.weekday())
    expert_ids = [
        make_expert(f"Expert {chr(65 + n)}", email=f"expert{n}@uni.example", location="Building 0")
        for n in range(EXPERTS)
    ]
    with app.app_context():
        visit = VisitProgramme(fellow_id=ada.id, starts_on=monday, ends_on=monday + timedelta(days=4), max_per_day=2)
        db.session.add(visit)
        db.session.flush()
        halves = [str(half) for half in visit.half_days()]
        for expert_id in expert_ids:
            db.session.add(
                ExpertInvitation(
                    programme=visit, expert=db.session.get(Expert, expert_id), status="accepted", available=halves
                )
            )
        db.session.commit()
        visit_id = visit.id
    organiser = login(make_organiser())
    assert organiser.post(f"/organiser/visits/{visit_id}/timetable/solve").status_code == 302
    return {"visit": visit_id, "organiser": organiser, "ada": ada}


def _placement(app, visit_id):
    """{invitation id: (starts_at, place, sequence)} of the visit's meetings."""
    with app.app_context():
        return {
            m.invitation_id: (m.starts_at, m.place, m.sequence)
            for m in db.session.scalars(select(Meeting).where(Meeting.programme_id == visit_id))
        }


def _room_to_move(app, visit_id):
    """Three meetings a day instead of two, and the expert who was left out withdraws (so the room is
    only for moves)."""
    with app.app_context():
        db.session.get(VisitProgramme, visit_id).max_per_day = 3
        placed = select(Meeting.invitation_id)
        for invitation in db.session.scalars(select(ExpertInvitation).where(ExpertInvitation.id.not_in(placed))):
            invitation.status = "declined"
        db.session.commit()


def _mail_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(OutboxMessage.id)))


def _propose(week):
    response = week["organiser"].post(f"/organiser/visits/{week['visit']}/timetable/repair")
    assert response.status_code == 302 and "/timetable-repairs/" in response.headers["Location"]
    return response.headers["Location"]


def _lines(response) -> list[str]:
    """The proposed changes, one per line, as the organiser reads them."""
    page = response.get_data(as_text=True)
    listed = (
        page.split('<ul class="proposed-changes">', 1)[1].split("</ul>", 1)[0] if "proposed-changes" in page else ""
    )
    return [html.unescape(item.split("</li>", 1)[0]).strip() for item in listed.split("<li>")[1:]]


def _ics(message):
    return icalendar.Calendar.from_ical(message.attachment_data)


def test_repair_after_a_cancellation_places_the_one_left_out_and_moves_nobody(app, week, outbox):
    before = _placement(app, week["visit"])
    assert len(before) == 10
    with app.app_context():
        [left_out] = db.session.scalars(
            select(ExpertInvitation.id).where(ExpertInvitation.id.not_in(list(before)))
        ).all()
        cancelled = db.session.scalars(select(Meeting).order_by(Meeting.starts_at)).all()[3]
        cancelled_id, cancelled_invitation = cancelled.id, cancelled.invitation_id
        cancelled_email = cancelled.expert.email
    response = week["organiser"].post(
        f"/organiser/meetings/{cancelled_id}/cancel", data={f"c{cancelled_id}-reason": "Called away to Brussels"}
    )
    assert response.status_code == 302
    [cancel] = [m for m in outbox(kind="meeting_cancelled") if m.to_address == cancelled_email]
    assert _ics(cancel)["METHOD"] == "CANCEL"
    with app.app_context():
        assert db.session.get(Meeting, cancelled_id) is None
        assert db.session.get(ExpertInvitation, cancelled_invitation).meeting_cancelled_at is not None

    mail_before = _mail_count(app)
    proposal = _propose(week)
    lines = _lines(week["organiser"].get(proposal))
    with app.app_context():
        name = db.session.get(ExpertInvitation, left_out).expert.name
    assert len(lines) == 1 and lines[0].startswith(f"new: {name} ")
    # Seeing the proposal changes nothing and emails nobody.
    assert _placement(app, week["visit"]) == {k: v for k, v in before.items() if k != cancelled_invitation}
    assert _mail_count(app) == mail_before

    applied = week["organiser"].post(proposal + "/apply", follow_redirects=True)
    assert "1 change made" in text_of(applied)
    after = _placement(app, week["visit"])
    assert len(after) == 10 and left_out in after and cancelled_invitation not in after
    unchanged = [key for key, value in before.items() if after.get(key) == value]
    assert len(unchanged) == 9, "every meeting but the cancelled one stays where it was"
    # Only the new expert and the fellow are emailed.
    sent = outbox()[mail_before:]
    with app.app_context():
        new_email = db.session.get(ExpertInvitation, left_out).expert.email
    assert sorted(m.to_address for m in sent) == sorted(["ada@example.org", new_email])


def test_when_an_experts_half_days_shrink_only_their_meeting_moves_and_only_they_are_emailed(app, week, outbox):
    _room_to_move(app, week["visit"])
    before = _placement(app, week["visit"])
    with app.app_context():
        meeting = db.session.scalars(select(Meeting).order_by(Meeting.starts_at)).first()
        meeting_id, invitation_id, expert_email = meeting.id, meeting.invitation_id, meeting.expert.email
        visit = db.session.get(VisitProgramme, week["visit"])
        # The expert now can only come on the last afternoon.
        meeting.invitation.available = [str(visit.half_days()[-1])]
        db.session.commit()
        last_day = visit.days()[-1]
        others = [m.expert.email for m in db.session.scalars(select(Meeting)) if m.id != meeting_id]
    [old_invitation] = [
        m
        for m in outbox(kind="meeting_new")
        if m.to_address == expert_email and f"meeting-{meeting_id}@" in str(_ics(m))
    ]
    mail_before = _mail_count(app)

    proposal = _propose(week)
    [line] = _lines(week["organiser"].get(proposal))
    assert "→" in line and f"→ {last_day:%A} {last_day.day} {last_day:%B}" in line
    week["organiser"].post(proposal + "/apply")

    after = _placement(app, week["visit"])
    assert after[invitation_id][0].date() == last_day and after[invitation_id][2] == before[invitation_id][2] + 1
    assert {k: v for k, v in after.items() if k != invitation_id} == {
        k: v for k, v in before.items() if k != invitation_id
    }
    sent = outbox()[mail_before:]
    assert sorted(m.to_address for m in sent) == sorted([expert_email, "ada@example.org"])
    assert not {m.to_address for m in sent} & set(others), "experts whose meeting did not change get nothing"
    old, new = (_ics(m) for m in (old_invitation, next(m for m in sent if m.to_address == expert_email)))
    [old_event], [new_event] = old.walk("VEVENT"), new.walk("VEVENT")
    assert new["METHOD"] == "REQUEST" and str(new_event["UID"]) == str(old_event["UID"])
    assert new_event["SEQUENCE"] == old_event["SEQUENCE"] + 1
    assert new_event["DTSTART"].dt.date() == last_day


def test_an_expert_who_no_longer_fits_is_cancelled_by_the_repair_with_the_reason(app, week, outbox):
    with app.app_context():
        meeting = db.session.scalars(select(Meeting).order_by(Meeting.starts_at)).first()
        meeting_id, expert_email = meeting.id, meeting.expert.email
        meeting.invitation.available = ["2001-01-01 am"]  # a half-day outside the visit
        db.session.commit()
    proposal = _propose(week)
    cancelled, new = _lines(week["organiser"].get(proposal))
    assert cancelled.endswith("cancelled (none of the half-days they offered is within the visit's hours)")
    assert new.startswith("new: "), "the expert who was left out takes the freed time"
    week["organiser"].post(proposal + "/apply")
    with app.app_context():
        assert db.session.get(Meeting, meeting_id) is None
    [cancel] = [m for m in outbox(kind="meeting_cancelled") if m.to_address == expert_email]
    calendar = _ics(cancel)
    assert calendar["METHOD"] == "CANCEL" and str(calendar.walk("VEVENT")[0]["UID"]).startswith(
        f"meeting-{meeting_id}@"
    )


def test_applying_is_one_use_and_a_stale_proposal_is_refused(app, week, outbox):
    with app.app_context():
        meeting = db.session.scalars(select(Meeting).order_by(Meeting.starts_at)).first()
        meeting.invitation.available = ["2001-01-01 am"]
        db.session.commit()
    proposal = _propose(week)
    first = week["organiser"].post(proposal + "/apply")
    assert first.status_code == 302
    mail_after_first, placement = _mail_count(app), _placement(app, week["visit"])
    with app.app_context():
        versions = db.session.scalar(select(func.count(ItineraryVersion.id)))
    second = week["organiser"].post(proposal + "/apply", follow_redirects=True)
    assert second.status_code == 200 and "already been applied" in text_of(second)
    assert _mail_count(app) == mail_after_first and _placement(app, week["visit"]) == placement
    with app.app_context():
        assert db.session.scalar(select(func.count(ItineraryVersion.id))) == versions

    # A proposal worked out, then the timetable changes by hand before it is applied: refused, nothing done.
    with app.app_context():
        meetings = db.session.scalars(select(Meeting).order_by(Meeting.starts_at)).all()
        meetings[0].invitation.available = ["2001-01-01 am"]
        db.session.commit()
        moved_id = meetings[1].id
        last_day = db.session.get(VisitProgramme, week["visit"]).days()[-1].isoformat()
    stale = _propose(week)
    week["organiser"].post(
        f"/organiser/meetings/{moved_id}/move", data={f"m{moved_id}-day": last_day, f"m{moved_id}-start": "16:00"}
    )
    mail_before, placement = _mail_count(app), _placement(app, week["visit"])
    refused = week["organiser"].post(stale + "/apply")
    assert refused.status_code == 409 and "have changed since this repair was worked out" in text_of(refused)
    assert _mail_count(app) == mail_before and _placement(app, week["visit"]) == placement
    with app.app_context():
        proposal_id = int(stale.rsplit("/", 1)[1])
        assert db.session.get(TimetableProposal, proposal_id).applied_at is None


def test_the_changelog_is_shown_to_the_fellow_and_the_organisers(app, week, login, make_fellow):
    _room_to_move(app, week["visit"])
    with app.app_context():
        meeting = db.session.scalars(select(Meeting).order_by(Meeting.starts_at)).first()
        name = meeting.expert.name
        visit = db.session.get(VisitProgramme, week["visit"])
        meeting.invitation.available = [str(visit.half_days()[-1])]
        db.session.commit()
    proposal = _propose(week)
    week["organiser"].post(proposal + "/apply")
    ada = login(week["ada"])
    for page in (
        text_of(ada.get(f"/programme/visits/{week['visit']}")),
        text_of(week["organiser"].get(f"/organiser/visits/{week['visit']}")),
        text_of(week["organiser"].get(f"/organiser/visits/{week['visit']}/timetable")),
    ):
        assert "Changes to the itinerary" in page
        assert "Version 1" in page and "Version 2" in page  # the first solve, then the repair
        assert f"{name} moved to" in page
    # Another fellow sees neither the itinerary nor its changes.
    other = login(make_fellow(name="Grace Hopper", email="grace@example.org"))
    assert other.get(f"/programme/visits/{week['visit']}").status_code == 404
