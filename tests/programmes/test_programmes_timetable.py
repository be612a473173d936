"""The visit's timetable (issue 10): solved with OR-Tools CP-SAT around the experts' half-days, the
fellow's hours, lunch, travel and a daily limit; pinned and moved by hand; every change emailed to the
expert and the fellow with an .ics (REQUEST, a higher SEQUENCE when moved, CANCEL when dropped); the
fellow's itinerary and their feedback afterwards."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from extensions import db
from programmes.models import Expert, ExpertInvitation, Meeting, TravelTime, VisitProgramme
from programmes.visits.timetable.solver import Day, Request, solve
from tests.concurrency import at_the_same_moment
from tests.events_helpers import text_of

MONDAY = date(2031, 3, 3)
DAYS = [Day(MONDAY + timedelta(days=n), 9 * 60, 17 * 60 + 30, 12 * 60 + 30, 13 * 60 + 30) for n in range(5)]


def _halves(*slots: tuple[int, str]) -> frozenset:
    return frozenset((MONDAY + timedelta(days=day), half) for day, half in slots)


def _check_rules(placed, requests, *, length, max_per_day, travel):
    by_key = {r.key: r for r in requests}
    for p in placed:
        day = next(d for d in DAYS if d.day == p.day)
        half = "am" if p.start < day.lunch_starts else "pm"
        assert (p.day, half) in by_key[p.key].half_days, "a meeting outside the half-days the expert offered"
        assert p.end - p.start == length and p.start % 15 == 0
        assert p.end <= day.lunch_starts or p.start >= day.lunch_ends, "a meeting across the lunch window"
        assert day.starts <= p.start and p.end <= day.ends
    for day in DAYS:
        today = sorted((p for p in placed if p.day == day.day), key=lambda p: p.start)
        assert len(today) <= max_per_day
        for a, b in zip(today, today[1:], strict=False):
            gap = (
                0
                if a.place is None or b.place is None or a.place == b.place
                else travel.get(frozenset((a.place, b.place)), 15)
            )
            assert a.end + gap <= b.start, f"no travel time between {a} and {b}"


def test_the_solver_places_everyone_who_fits_and_keeps_every_rule():
    places = ["William Gates Building", "Alison Richard Building", None]
    requests = [
        Request(k, f"Expert {k}", places[k % 3], _halves((k % 5, "am"), ((k + 2) % 5, "pm"))) for k in range(24)
    ]
    travel = {frozenset(places[:2]): 30}
    result = solve(DAYS, requests, length=45, max_per_day=6, travel=travel)
    assert result.unplaced == {} and len(result.placed) == 24
    _check_rules(result.placed, requests, length=45, max_per_day=6, travel=travel)


def test_who_does_not_fit_is_named_with_the_reason():
    requests = [Request(k, f"Expert {k}", None, _halves((0, "am"))) for k in range(6)]  # 3.5 h of morning
    requests.append(Request(99, "Far away", None, frozenset({(date(2030, 1, 1), "am")})))
    result = solve(DAYS, requests, length=60, max_per_day=6)
    assert len(result.placed) == 3  # 09:00, 10:00, 11:00; 12:00 would run into lunch
    assert result.unplaced[99] == "none of the half-days they offered is within the visit's hours"
    assert sum("already full" in reason for reason in result.unplaced.values()) == 3


def test_the_daily_limit_and_pins_hold():
    requests = [Request(k, f"E{k}", None, _halves((0, "am"), (0, "pm"), (1, "am"))) for k in range(4)]
    pinned = Request(9, "Pinned", None, _halves((2, "pm")), pinned=(MONDAY, 14 * 60))
    result = solve(DAYS, [*requests, pinned], length=45, max_per_day=2)
    assert [(p.day, p.start) for p in result.placed if p.key == 9] == [(MONDAY, 14 * 60)]
    assert max(sum(p.day == d.day for p in result.placed) for d in DAYS) <= 2
    assert len(result.placed) == 4 and len(result.unplaced) == 1


def test_among_full_timetables_it_prefers_fewer_buildings_a_day():
    a, b = "Building A", "Building B"
    requests = [Request(k, f"E{k}", [a, b][k % 2], _halves((0, "am"), (1, "am"))) for k in range(4)]
    result = solve(DAYS, requests, length=45, max_per_day=2)
    assert len(result.placed) == 4
    for day in (DAYS[0].day, DAYS[1].day):
        assert len({p.place for p in result.placed if p.day == day}) == 1


@pytest.fixture
def accepted(app, make_fellow, make_organiser, make_expert, login):
    """A visit in three weeks with three experts who accepted, and the organiser's client."""
    ada = make_fellow(name="Ada Lovelace", email="ada@example.org")
    other = make_fellow(name="Grace Hopper", email="grace@example.org")
    today = date.today()
    monday = today + timedelta(days=21 - today.weekday())
    expert_ids = [
        make_expert(name, email=f"{name.split()[0].lower()}@uni.example", location=f"Building {n % 2}")
        for n, name in enumerate(["Priya Shah", "Tom Ward", "Mei Nowak"])
    ]
    with app.app_context():
        visit = VisitProgramme(fellow_id=ada.id, starts_on=monday, ends_on=monday + timedelta(days=4))
        db.session.add(visit)
        db.session.flush()
        halves = [str(half) for half in visit.half_days()]
        for n, expert_id in enumerate(expert_ids):
            expert = db.session.get(Expert, expert_id)
            db.session.add(
                ExpertInvitation(programme=visit, expert=expert, status="accepted", available=halves[n * 2 : n * 2 + 2])
            )
        db.session.commit()
        visit_id = visit.id
    return {"visit": visit_id, "organiser": login(make_organiser()), "ada": ada, "other": other}


def _ics(message):
    return icalendar.Calendar.from_ical(message.attachment_data)


def test_solving_confirms_each_meeting_to_the_expert_and_the_fellow_with_an_ics(app, accepted, outbox):
    organiser = accepted["organiser"]
    response = organiser.post(f"/organiser/visits/{accepted['visit']}/timetable/solve", follow_redirects=True)
    assert "3 meetings in the timetable: 3 new, 0 moved, 0 cancelled" in text_of(response)
    new = outbox(kind="meeting_new")
    assert len(new) == 6 and {m.to_address for m in new} >= {"priya@uni.example", "ada@example.org"}
    calendar = _ics(new[0])
    [vevent] = calendar.walk("VEVENT")
    assert calendar["METHOD"] == "REQUEST" and vevent["SEQUENCE"] == 0 and str(vevent["UID"]).startswith("meeting-")
    assert calendar.walk("VTIMEZONE") and vevent["DTSTART"].params["TZID"] == "Europe/London"
    # Solving again changes nothing and emails nobody.
    again = organiser.post(f"/organiser/visits/{accepted['visit']}/timetable/solve", follow_redirects=True)
    assert "0 new, 0 moved, 0 cancelled" in text_of(again) and len(outbox(kind="meeting_new")) == 6


def test_a_moved_meeting_is_pinned_and_resent_with_a_higher_sequence_and_the_same_uid(app, accepted, outbox):
    organiser = accepted["organiser"]
    organiser.post(f"/organiser/visits/{accepted['visit']}/timetable/solve")
    with app.app_context():
        meeting = db.session.scalars(select(Meeting).order_by(Meeting.id)).first()
        meeting_id, visit = meeting.id, db.session.get(VisitProgramme, accepted["visit"])
        last_day = visit.days()[-1].isoformat()
    lunch = organiser.post(
        f"/organiser/meetings/{meeting_id}/move", data={f"m{meeting_id}-day": last_day, f"m{meeting_id}-start": "12:45"}
    )
    assert lunch.status_code == 409 and "lunch window" in text_of(lunch)
    moved = organiser.post(
        f"/organiser/meetings/{meeting_id}/move", data={f"m{meeting_id}-day": last_day, f"m{meeting_id}-start": "16:00"}
    )
    assert moved.status_code == 302
    [moved_to_fellow] = [m for m in outbox(kind="meeting_moved") if m.to_address == "ada@example.org"]
    new = _ics(moved_to_fellow).walk("VEVENT")[0]
    # The fellow's first invitation for this same meeting had the same UID, at SEQUENCE 0.
    [old] = [
        vevent
        for m in outbox(kind="meeting_new")
        if m.to_address == "ada@example.org"
        for vevent in _ics(m).walk("VEVENT")
        if str(vevent["UID"]) == str(new["UID"])
    ]
    assert old["SEQUENCE"] == 0 and old["DTSTART"].dt != new["DTSTART"].dt
    assert new["SEQUENCE"] == 1 and new["DTSTART"].dt.hour == 16
    # Re-solving keeps the pinned meeting where the organiser put it.
    organiser.post(f"/organiser/visits/{accepted['visit']}/timetable/solve")
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        assert meeting.pinned and meeting.starts_at.astimezone(UTC).date().isoformat() == last_day


def test_an_expert_who_withdraws_gets_a_cancel_on_the_next_solve(app, accepted, outbox):
    organiser = accepted["organiser"]
    organiser.post(f"/organiser/visits/{accepted['visit']}/timetable/solve")
    with app.app_context():
        invitation = db.session.scalars(select(ExpertInvitation).order_by(ExpertInvitation.id)).first()
        invitation.status = "declined"
        db.session.commit()
        expert_email = invitation.expert.email
    response = organiser.post(f"/organiser/visits/{accepted['visit']}/timetable/solve", follow_redirects=True)
    assert "1 cancelled" in text_of(response)
    [cancel] = [m for m in outbox(kind="meeting_cancelled") if m.to_address == expert_email]
    calendar = _ics(cancel)
    assert calendar["METHOD"] == "CANCEL" and calendar.walk("VEVENT")[0]["SEQUENCE"] == 1
    with app.app_context():
        assert len(db.session.scalars(select(Meeting)).all()) == 2


def test_the_itinerary_is_the_fellows_and_feedback_comes_after_the_meeting(app, accepted, login):
    accepted["organiser"].post(f"/organiser/visits/{accepted['visit']}/timetable/solve")
    ada, other = login(accepted["ada"]), login(accepted["other"])
    page = text_of(ada.get(f"/programme/visits/{accepted['visit']}"))
    assert "Priya Shah" in page and "Building 0" in page and "How useful" not in page
    assert other.get(f"/programme/visits/{accepted['visit']}").status_code == 404
    with app.app_context():
        meeting = db.session.scalars(select(Meeting).order_by(Meeting.starts_at)).first()
        meeting_id = meeting.id
        early = ada.post(f"/programme/meetings/{meeting_id}/feedback", data={f"f{meeting_id}-rating": "5"})
        assert early.status_code == 302 and db.session.get(Meeting, meeting_id).rating is None
        past = datetime.now(UTC) - timedelta(days=1)
        meeting.starts_at, meeting.ends_at = past - timedelta(minutes=45), past
        db.session.commit()
    assert "How useful was this meeting?" in text_of(ada.get(f"/programme/visits/{accepted['visit']}"))
    assert (
        other.post(f"/programme/meetings/{meeting_id}/feedback", data={f"f{meeting_id}-rating": "1"}).status_code == 404
    )
    ada.post(
        f"/programme/meetings/{meeting_id}/feedback",
        data={f"f{meeting_id}-rating": "4", f"f{meeting_id}-follow_up": "Send her the casework data"},
    )
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        assert (meeting.rating, meeting.follow_up) == (4, "Send her the casework data")
    # Feedback that does not validate is shown again with the problem, and nothing typed or saved is lost.
    typed = "Ask about the pilot. " * 200  # over the 4,000 characters a follow-up may have
    refused = ada.post(
        f"/programme/meetings/{meeting_id}/feedback",
        data={f"f{meeting_id}-rating": "2", f"f{meeting_id}-follow_up": typed},
    )
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "There is a problem" in page and "4000" in page.replace(",", "")
    assert typed.strip() in page
    unrated = ada.post(f"/programme/meetings/{meeting_id}/feedback", data={f"f{meeting_id}-follow_up": "Call back"})
    assert unrated.status_code == 400 and "Call back" in unrated.get_data(as_text=True)
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        assert (meeting.rating, meeting.follow_up) == (4, "Send her the casework data")


def test_the_itinerary_downloads_as_a_pdf_with_a_page_a_day(app, accepted, login):
    accepted["organiser"].post(f"/organiser/visits/{accepted['visit']}/timetable/solve")
    ada, other = login(accepted["ada"]), login(accepted["other"])
    url = f"/programme/visits/{accepted['visit']}/itinerary.pdf"
    assert url in ada.get(f"/programme/visits/{accepted['visit']}").get_data(as_text=True)
    response = ada.get(url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    with app.app_context():
        visit = db.session.get(VisitProgramme, accepted["visit"])
        weekdays = len(visit.days())
    assert len(reader.pages) == weekdays  # a page a day
    assert "Priya Shah" in text and "Building 0" in text and "Lunch" in text
    assert other.get(url).status_code == 404
    assert app.test_client().get(url).status_code == 302


def test_download_my_data_includes_the_fellows_visits_meetings_and_feedback(app, accepted, login):
    accepted["organiser"].post(f"/organiser/visits/{accepted['visit']}/timetable/solve")
    with app.app_context():
        meeting = db.session.scalars(select(Meeting).order_by(Meeting.starts_at)).first()
        meeting.rating, meeting.follow_up = 5, "Write to Priya"
        db.session.commit()
    data = login(accepted["ada"]).post("/account/export").get_json()
    [visit] = data["programme"]["visits"]
    assert len(visit["meetings"]) == 3
    assert {"expert": "Priya Shah", "rating": 5, "follow_up": "Write to Priya"}.items() <= visit["meetings"][0].items()
    assert login(accepted["other"]).post("/account/export").get_json()["programme"] is None


def test_meetings_are_in_the_fellows_personal_calendar_feed_and_its_etag_follows_them(app, accepted, login):
    organiser = accepted["organiser"]
    organiser.post(f"/organiser/visits/{accepted['visit']}/timetable/solve")
    ada = login(accepted["ada"])
    ada.post("/my/calendar/reset")
    page = ada.get("/my/calendar").get_data(as_text=True)
    feed_path = "/calendar/" + page.split("/calendar/", 1)[1].split(".ics", 1)[0] + ".ics"
    first = ada.get(feed_path)
    vevents = icalendar.Calendar.from_ical(first.data).walk("VEVENT")
    assert len([v for v in vevents if str(v["UID"]).startswith("meeting-")]) == 3
    assert any("Priya Shah" in str(v["SUMMARY"]) for v in vevents)
    assert ada.get(feed_path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    with app.app_context():
        meeting_id = db.session.scalars(select(Meeting.id).order_by(Meeting.id)).first()
        day = db.session.get(VisitProgramme, accepted["visit"]).days()[-1].isoformat()
    organiser.post(
        f"/organiser/meetings/{meeting_id}/move", data={f"m{meeting_id}-day": day, f"m{meeting_id}-start": "15:00"}
    )
    moved = ada.get(feed_path, headers={"If-None-Match": first.headers["ETag"]})
    assert moved.status_code == 200
    [vevent] = [
        v
        for v in icalendar.Calendar.from_ical(moved.data).walk("VEVENT")
        if str(v["UID"]).startswith(f"meeting-{meeting_id}@")
    ]
    assert vevent["SEQUENCE"] == 1 and vevent["DTSTART"].dt.hour == 15


def test_the_expert_sees_their_meeting_and_gives_feedback_after_it(app, accepted, client):
    accepted["organiser"].post(f"/organiser/visits/{accepted['visit']}/timetable/solve")
    with app.app_context():
        meeting = db.session.scalars(select(Meeting).order_by(Meeting.starts_at)).first()
        meeting_id = meeting.id
        meeting.invitation.token_hash = ExpertInvitation.hash("priya-private-link-token")
        db.session.commit()
    link = "/expert/priya-private-link-token"
    page = text_of(client.get(link, follow_redirects=True))
    assert "Your meeting" in page and "Building 0" in page and "How was it?" not in page
    assert client.post(f"{link}/feedback", data={"rating": "5"}).status_code == 404  # not yet held
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        past = datetime.now(UTC) - timedelta(days=1)
        meeting.starts_at, meeting.ends_at = past - timedelta(minutes=45), past
        db.session.commit()
    assert "How was it?" in text_of(client.get(link, follow_redirects=True))
    assert client.post(f"{link}/feedback", data={}).status_code == 400
    sent = client.post(f"{link}/feedback", data={"rating": "5", "comment": "A sharp set of questions"})
    assert sent.status_code == 302
    timetable = text_of(accepted["organiser"].get(f"/organiser/visits/{accepted['visit']}/timetable"))
    assert "expert 5/5" in timetable and "A sharp set of questions" in timetable


def test_re_solving_leaves_meetings_where_they_are_when_it_can():
    halves = _halves((0, "am"), (0, "pm"), (1, "am"))
    first = solve(DAYS, [Request(k, f"E{k}", f"Building {k % 2}", halves) for k in range(4)], length=45, max_per_day=6)
    current = {p.key: (p.day, p.start) for p in first.placed}
    # Someone else accepts; the four already placed would be free to move, but nobody needs to.
    again = [Request(k, f"E{k}", f"Building {k % 2}", halves, current=current[k]) for k in range(4)]
    again.append(Request(9, "Late acceptance", "Building 0", halves))
    second = solve(DAYS, again, length=45, max_per_day=6)
    assert {p.key: (p.day, p.start) for p in second.placed if p.key != 9} == current
    assert 9 in {p.key for p in second.placed}


def test_the_reasons_of_the_last_solve_stay_with_the_timetable(app, accepted, make_expert, make_organiser, login):
    """Who could not be placed, and why, is kept with the visit: shown again on reload and to another
    organiser, not only once to whoever solved."""
    late = make_expert("Lena Late", email="lena@uni.example")
    with app.app_context():
        visit = db.session.get(VisitProgramme, accepted["visit"])
        expert = db.session.get(Expert, late)
        db.session.add(ExpertInvitation(programme=visit, expert=expert, status="accepted", available=["2001-01-01 am"]))
        db.session.commit()
    path = f"/organiser/visits/{accepted['visit']}/timetable"
    accepted["organiser"].post(f"{path}/solve")
    reason = "Lena Late : none of the half-days they offered is within the visit's hours"
    for client in (accepted["organiser"], accepted["organiser"], login(make_organiser())):
        assert reason in text_of(client.get(path, follow_redirects=True))


def test_three_tabs_solving_at_once_make_each_meeting_once_and_email_it_once(
    app, accepted, login, make_organiser, outbox
):
    """Issue 23, defect 7: the slower solves find the meetings made and answer as a second solve does."""
    tabs = [accepted["organiser"], *(login(make_organiser()) for _ in range(2))]
    url = f"/organiser/visits/{accepted['visit']}/timetable/solve"

    statuses = at_the_same_moment([lambda t=t: t.post(url) for t in tabs])

    assert statuses == [302] * 3
    with app.app_context():
        meetings = db.session.scalars(select(Meeting).where(Meeting.programme_id == accepted["visit"])).all()
        assert len(meetings) == 3 and len({m.invitation_id for m in meetings}) == 3
    assert len(outbox(kind="meeting_new")) == 6, "each new meeting emailed to its expert and the fellow once"
    assert "3 meetings in the timetable" in text_of(tabs[0].get(f"/organiser/visits/{accepted['visit']}/timetable"))


def test_one_travel_time_saved_from_six_tabs_at_once_is_kept_once(app, accepted, login, make_organiser):
    tabs = [accepted["organiser"], *(login(make_organiser()) for _ in range(5))]
    url = f"/organiser/visits/{accepted['visit']}/travel-times"
    forms = [{"place_a": "Building 1", "place_b": "Building 0", "minutes": str(20 + n)} for n in range(6)]

    statuses = at_the_same_moment([lambda t=t, f=f: t.post(url, data=f) for t, f in zip(tabs, forms, strict=True)])

    assert statuses == [302] * 6
    with app.app_context():
        [row] = db.session.scalars(select(TravelTime)).all()
        assert (row.place_a, row.place_b) == ("Building 0", "Building 1") and 20 <= row.minutes <= 25
