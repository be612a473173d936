"""Issue 25 item 1: a tenure has several visits; a return visit lists the experts met before with their
follow-ups and proposes them again or not; the dashboard counts meetings per tenure against its target."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from extensions import db
from programmes.models import Appointment, Expert, ExpertInvitation, Meeting, VisitProgramme
from tests.events_helpers import text_of

EARLIER = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


def _first_visit_and_return(app, make_fellow, make_expert, *, met: list[tuple[str, int | None, str | None]]):
    """A fellow with a tenure (target 12), a first visit in March meeting ``met`` (name, rating, follow-up),
    one more expert whose meeting was cancelled, and a return visit in the autumn; returns the ids."""
    fellow = make_fellow(name="Ada Lovelace")
    ids = {name: make_expert(name) for name, _, _ in met}
    cancelled = make_expert("Dr Cancelled Meeting")
    with app.app_context():
        db.session.add(
            Appointment(
                fellow_id=fellow.id,
                cohort=2025,
                starts_on=date(2025, 10, 1),
                ends_on=date(2027, 9, 30),
                meeting_target=12,
            )
        )
        first = VisitProgramme(fellow_id=fellow.id, starts_on=date(2026, 3, 2), ends_on=date(2026, 3, 6))
        back = VisitProgramme(fellow_id=fellow.id, starts_on=date(2026, 11, 2), ends_on=date(2026, 11, 6))
        db.session.add_all([first, back])
        for n, (name, rating, follow_up) in enumerate([*met, ("Dr Cancelled Meeting", 5, None)]):
            expert = db.session.get(Expert, ids.get(name, cancelled))
            invitation = ExpertInvitation(programme=first, expert=expert, status="accepted", available=[])
            if name == "Dr Cancelled Meeting":
                invitation.meeting_cancelled_at = EARLIER
            db.session.add(invitation)
            if invitation.meeting_cancelled_at is not None:
                continue  # a cancelled meeting leaves the invitation marked and no meeting
            starts = EARLIER + timedelta(hours=n)
            db.session.add_all(
                [
                    Meeting(
                        programme=first,
                        invitation=invitation,
                        starts_at=starts,
                        ends_at=starts + timedelta(minutes=45),
                        rating=rating,
                        follow_up=follow_up,
                    ),
                ]
            )
        db.session.commit()
        return fellow.id, first.id, back.id, ids


def test_a_return_visit_proposes_the_experts_met_before_unless_the_meeting_went_badly(
    app, make_fellow, make_expert, make_organiser, login
):
    met = [
        ("Dr Ruth Ames", 5, "Send the 2025 loneliness survey"),
        ("Prof Ian Cole", 4, None),
        ("Dr Poor Fit", 2, None),
    ]
    fellow_id, first_id, back_id, ids = _first_visit_and_return(app, make_fellow, make_expert, met=met)
    organiser = login(make_organiser())

    page = text_of(organiser.get(f"/organiser/visits/{back_id}"))
    assert "Met on earlier visits (3)" in page  # the cancelled meeting is not a meeting met
    section = page.split("Met on earlier visits", 1)[1].split("Suggested experts", 1)[0]
    assert "Dr Cancelled Meeting" not in section
    assert "Send the 2025 loneliness survey" in section
    ruth = section.split("Dr Ruth Ames", 1)[1].split("Prof Ian Cole", 1)[0]
    assert "Proposed again" in ruth and "a follow-up was agreed" in ruth
    assert "Not proposed" in section.split("Dr Poor Fit", 1)[1] and "rated 2 of 5" in section

    # The first visit has nothing before it.
    assert "Met on earlier visits" not in text_of(organiser.get(f"/organiser/visits/{first_id}"))

    added = organiser.post(f"/organiser/visits/{back_id}/long-list", data={"expert_id": ids["Dr Ruth Ames"]})
    assert added.status_code == 302
    with app.app_context():
        listed = db.session.scalars(
            select(ExpertInvitation.expert_id).where(ExpertInvitation.programme_id == back_id)
        ).all()
        assert listed == [ids["Dr Ruth Ames"]]
    section = text_of(organiser.get(f"/organiser/visits/{back_id}")).split("Met on earlier visits", 1)[1]
    assert "On this visit's list" in section.split("Prof Ian Cole", 1)[0]


def test_the_dashboard_counts_a_tenures_meetings_across_its_visits_against_the_target(
    app, make_fellow, make_expert, make_organiser, login
):
    met = [("Dr Ruth Ames", 5, None), ("Prof Ian Cole", 4, None), ("Dr Poor Fit", 2, None)]
    _first_visit_and_return(app, make_fellow, make_expert, met=met)
    organiser = login(make_organiser())
    page = text_of(organiser.get("/organiser/programme-dashboard"))
    assert "3 of 12 9 to go" in page  # 3 held of the tenure's 12, across its visits
    assert "Fellow Cohort Visits Meetings of target" in page
    rows = organiser.get("/organiser/programme-dashboard").get_data(as_text=True).split("<tr>")
    ada = next(row for row in rows if "Ada Lovelace" in row)
    assert '<td data-label="Visits">2</td>' in ada


def test_the_meeting_target_is_set_on_the_tenure_form(app, make_fellow, make_organiser, login):
    fellow = make_fellow(name="Grace Hopper")
    organiser = login(make_organiser())
    form = {"fellow_id": fellow.id, "tier": "policy_fellow", "cohort": 2026}
    form |= {"starts_on": "2026-10-01", "ends_on": "2028-09-30"}
    refused = organiser.post("/organiser/tenures/new", data=form | {"meeting_target": "0"})
    assert refused.status_code == 400 and "between 1 and 200" in text_of(refused)
    assert organiser.post("/organiser/tenures/new", data=form | {"meeting_target": "24"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Appointment.meeting_target).where(Appointment.fellow_id == fellow.id)) == 24
