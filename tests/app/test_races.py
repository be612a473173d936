"""Check-then-insert races: requests that try to make the same row at once all succeed, and exactly one
row is made (issue 13, defect 4). Real concurrent requests, each on its own connection, on SQLite and
PostgreSQL; before the fix, each of these answered some requests with a 500 and lost their save.
"""

from __future__ import annotations

import re

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


def test_two_tabs_making_a_calendar_address_at_once_leave_one_working_address_shown_only_where_it_works(
    app, make_fellow, login
):
    fellow = make_fellow()
    tabs = [login(fellow) for _ in range(2)]

    assert at_the_same_moment([lambda t=t: t.post("/my/calendar/reset") for t in tabs]) == [302, 302]

    pages = [tab.get("/my/calendar").get_data(as_text=True) for tab in tabs]
    shown = {token for page in pages for token in re.findall(r"/calendar/([A-Za-z0-9_-]{43})\.ics", page)}
    working = {token for token in shown if tabs[0].get(f"/calendar/{token}.ics").status_code == 200}
    # Each tab made an address; the later replaced the earlier, and a page shows only the one that works.
    assert len(working) == 1 and shown == working
    with app.app_context():
        assert db.session.get(User, fellow.id).calendar_token_hash is not None
