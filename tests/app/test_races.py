"""Check-then-insert races: requests that try to make the same row at once all succeed, and exactly one
row is made (issue 13, defect 4). Real concurrent requests, each on its own connection, on SQLite and
PostgreSQL; before the fix, each of these answered some requests with a 500 and lost their save.
"""

from __future__ import annotations

from sqlalchemy import func, select

from events.models import EventInvitation
from extensions import db
from fellows.models import JoinRequest, Organisation, User
from tests.concurrency import at_the_same_moment

PROFILE = {
    "honorific": "",
    "job_title": "Analyst",
    "sector": "government",
    "cohort": "2016",
    "fellow_status": "current",
    "visibility": "fellows",
    "biography": "",
    "links": "",
}


def test_six_fellows_saving_the_same_new_organisation_all_keep_their_save(app, make_fellow, login):
    fellows = [make_fellow(name=f"Fellow {n}") for n in range(6)]
    clients = [login(fellow) for fellow in fellows]
    data = [PROFILE | {"name": f"Fellow {n} Saved", "organisation": "Office for Quantum Policy"} for n in range(6)]

    statuses = at_the_same_moment(
        [lambda c=c, d=d: c.post("/profile/edit", data=d) for c, d in zip(clients, data, strict=True)]
    )

    assert statuses == [302] * 6
    with app.app_context():
        [organisation] = db.session.scalars(select(Organisation).where(Organisation.name.like("Office for Q%"))).all()
        saved = db.session.scalars(select(User).where(User.id.in_([f.id for f in fellows]))).all()
        assert {user.name for user in saved} == {f"Fellow {n} Saved" for n in range(6)}
        assert {user.organisation_id for user in saved} == {organisation.id}


def test_six_tabs_inviting_one_fellow_make_one_invitation(app, make_event, make_fellow, make_organiser, login):
    event_id = make_event(audience="invitation")
    fellow = make_fellow()
    organiser = make_organiser()
    tabs = [login(organiser) for _ in range(6)]

    statuses = at_the_same_moment(
        [
            lambda t=t: t.post(f"/organiser/events/{event_id}/invitations", data={"fellows": [str(fellow.id)]})
            for t in tabs
        ]
    )

    assert statuses == [302] * 6
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(EventInvitation).filter_by(event_id=event_id))
        assert count == 1
    assert fellow.name in tabs[0].get(f"/organiser/events/{event_id}/invitations").get_data(as_text=True)


def test_two_requests_from_one_address_approved_at_once_make_one_account(app, client, make_organiser, login, outbox):
    for reason in ("First try", "Second try"):
        form = {"name": "Nadia Rahman", "email": "nadia@example.org", "organisation": "HM Treasury", "reason": reason}
        assert client.post("/join", data=form).status_code in (200, 302)
    with app.app_context():
        ids = db.session.scalars(select(JoinRequest.id).order_by(JoinRequest.id)).all()
    assert len(ids) == 2
    organisers = [login(make_organiser()) for _ in range(2)]

    statuses = at_the_same_moment(
        [lambda o=o, i=i: o.post(f"/organiser/join-requests/{i}/approve") for o, i in zip(organisers, ids, strict=True)]
    )

    assert statuses == [302, 302]
    with app.app_context():
        [account] = db.session.scalars(select(User).where(User.email == "nadia@example.org")).all()
        assert account.role == "fellow" and account.organisation.name == "HM Treasury"
        assert set(db.session.scalars(select(JoinRequest.status))) == {"approved"}
    assert {m.to_address for m in outbox(kind="invitation")} == {"nadia@example.org"}


def test_two_tabs_opening_my_calendar_first_show_the_same_working_address(app, make_fellow, login):
    fellow = make_fellow()
    tabs = [login(fellow) for _ in range(2)]
    pages = []

    def open_page(tab):
        response = tab.get("/my/calendar")
        pages.append(response.get_data(as_text=True))
        return response

    assert at_the_same_moment([lambda t=t: open_page(t) for t in tabs]) == [200, 200]
    with app.app_context():
        token = db.session.get(User, fellow.id).calendar_token
    assert token and all(f"/calendar/{token}.ics" in page for page in pages)
    assert tabs[1].get(f"/calendar/{token}.ics").status_code == 200
