"""The network picture (issue 26 item 5): for the programme, a cohort and one fellow, who met whom, which
fields and departments are covered and which are thin, with server-drawn charts; organisers only; the
same number of statements however large the programme."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from extensions import db
from programmes.models import Appointment, Expert, ExpertInvitation, Meeting, PolicyQuestion, VisitProgramme
from tests.events_helpers import text_of

NOW = datetime.now(UTC).replace(microsecond=0)
PAGE = "/organiser/programme-network"


def _fellow(app, make_fellow, make_organisation, *, name: str, cohort: int, organisation: str, asks=()) -> int:
    """A fellow of ``cohort`` at ``organisation`` with one question per topic in ``asks``."""
    from core.models import Tag, slugify

    fellow = make_fellow(name=name, organisation_id=make_organisation(organisation).id)
    with app.app_context():
        db.session.add(
            Appointment(
                fellow_id=fellow.id, cohort=cohort, starts_on=date(cohort, 10, 1), ends_on=date(cohort + 2, 9, 30)
            )
        )
        for topic in asks:
            tag = db.session.scalar(db.select(Tag).filter_by(name=topic)) or Tag(name=topic, slug=slugify(topic))
            db.session.add(PolicyQuestion(fellow_id=fellow.id, question=f"{name} asks about {topic}", topics=[tag]))
        db.session.commit()
    return fellow.id


def _meet(app, fellow_id: int, *meetings: tuple[int, int]) -> None:
    """One visit of the fellow with a meeting per (expert id, days from now): negative days are held."""
    with app.app_context():
        visit = VisitProgramme(fellow_id=fellow_id, starts_on=date(2026, 3, 2), ends_on=date(2026, 3, 6))
        for expert_id, days in meetings:
            invitation = ExpertInvitation(
                programme=visit, expert=db.session.get(Expert, expert_id), status="accepted", available=[]
            )
            starts = NOW + timedelta(days=days)
            db.session.add(
                Meeting(programme=visit, invitation=invitation, starts_at=starts, ends_at=starts + timedelta(hours=1))
            )
        db.session.commit()


@pytest.fixture
def programme(app, make_fellow, make_organisation, make_expert):
    """Ada (2025, Cabinet Office) asks about ageing and energy, has met Priya and will meet Tom, both on
    ageing; Grace (2024, HM Treasury) has met Priya too. Nobody has met Li (the only energy expert) or
    anyone in Chemistry."""
    priya = make_expert("Priya Shah", department="Bennett Institute", topics=("Ageing",))
    tom = make_expert("Tom Reid", department="Faculty of Law", topics=("Ageing",))
    make_expert("Li Wei", department="Engineering", topics=("Energy",))
    make_expert("Sam Cole", department="Chemistry")
    ada = _fellow(
        app, make_fellow, make_organisation, name="Ada Lovelace", cohort=2025, organisation="Cabinet Office",
        asks=("Ageing", "Energy"),
    )  # fmt: skip
    grace = _fellow(app, make_fellow, make_organisation, name="Grace Hopper", cohort=2024, organisation="HM Treasury")
    _meet(app, ada, (priya, -30), (tom, 5))
    _meet(app, grace, (priya, -20))
    return {"ada": ada, "grace": grace}


def test_the_picture_shows_who_met_whom_and_which_fields_and_departments_are_covered_or_thin(
    programme, make_organiser, login
):
    response = login(make_organiser()).get(PAGE)
    assert response.status_code == 200
    page = text_of(response)

    assert "Fellows 2 Experts met 2 Meetings held 2 Meetings planned 1 Departments met 2 of 4 Thin fields 1" in page
    # Fields: asked, experts met, held, planned, in the network.
    assert "Ageing 1 2 2 1 2 Thin in the network" in page
    assert "Energy Thin 1 0 0 0 1 Thin in the network" in page
    # Departments met, and the rest of the network not met yet.
    assert "Bennett Institute 1 2 0 1 Thin in the network" in page
    assert "Faculty of Law 1 0 1 1" in page
    assert "Not met yet" in page and "Chemistry (1 expert)" in page and "Engineering (1 expert)" in page
    # Who met whom, and the expert both fellows met.
    assert "Ada Lovelace , Cabinet Office: 2 experts, 1 held, 1 planned" in page
    assert "Priya Shah (Bennett Institute) : 1 meeting held" in page and "Tom Reid (Faculty of Law) : 1 planned" in page
    assert "Grace Hopper , HM Treasury: 1 expert, 1 held, 0 planned" in page
    assert "Experts several fellows met Priya Shah (Bennett Institute) : Ada Lovelace, Grace Hopper" in page


def test_the_charts_are_svg_drawn_on_the_server_with_no_script(programme, make_organiser, login):
    body = login(make_organiser()).get(PAGE).get_data(as_text=True)
    charts = re.findall(r"<figure class=\"chart\">(.*?)</figure>", body, flags=re.S)
    assert len(charts) == 2  # fields and departments
    fields, departments = charts
    assert re.match(r'<svg [^>]*aria-hidden="true"', fields) and "Meetings by field" in fields
    assert ">Ageing<" in fields and ">Held<" in fields and ">Planned<" in fields
    assert ">Energy<" not in fields  # no meeting: in the table, not drawn
    assert ">Bennett Institute<" in departments and ">Chemistry<" not in departments
    assert "<script" not in body.split("<footer")[0].split("</header>", 1)[1]


def test_a_cohort_or_one_fellow_narrows_the_picture(programme, make_organiser, login):
    organiser = login(make_organiser())
    cohort = text_of(organiser.get(f"{PAGE}?cohort=2025"))
    assert "Network picture: cohort 2025" in cohort
    assert "Ada Lovelace" in cohort and "Grace Hopper" not in cohort
    assert "Ageing 1 2 1 1" in cohort  # Grace's meeting with Priya is not in this cohort
    assert "Experts several fellows met" not in cohort

    one = text_of(organiser.get(f"{PAGE}?fellow={programme['grace']}"))
    assert "Network picture: Grace Hopper" in one and "Ada Lovelace" not in one
    assert "Fellows 1 Experts met 1 Meetings held 1 Meetings planned 0" in one
    assert "Every fellow" in one


def test_odd_scopes_answer_with_a_page_not_an_error(programme, make_organiser, login):
    organiser = login(make_organiser())
    everyone = text_of(organiser.get(f"{PAGE}?cohort=abc&fellow=x%27"))
    assert "Fellows 2" in everyone
    nobody = organiser.get(f"{PAGE}?fellow=999999")
    assert nobody.status_code == 200 and "No fellow has a visit or a policy question yet." in text_of(nobody)
    empty_cohort = text_of(organiser.get(f"{PAGE}?cohort=1990"))
    assert "No fellow in cohort 1990 has a visit or a policy question yet." in empty_cohort


def test_names_in_the_charts_are_text_not_markup(
    app, make_fellow, make_organisation, make_expert, make_organiser, login
):
    hostile = make_expert("Eve <b>Bold</b>", department="<script>alert(1)</script>", topics=("<i>Ageing</i>",))
    fellow = _fellow(app, make_fellow, make_organisation, name="Ada Lovelace", cohort=2025, organisation="Policy Lab")
    _meet(app, fellow, (hostile, -3))
    body = login(make_organiser()).get(PAGE).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body and "<i>Ageing</i>" not in body and "<b>Bold</b>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_only_organisers_see_the_network_picture(programme, client, login, make_fellow):
    assert client.get(PAGE).status_code == 302
    assert login(make_fellow()).get(PAGE).status_code == 403


def test_the_dashboard_links_to_the_same_scope_s_picture(programme, make_organiser, login):
    page = login(make_organiser()).get("/organiser/programme-dashboard?cohort=2025").get_data(as_text=True)
    assert 'href="/organiser/programme-network?cohort=2025">Network picture</a>' in page


def test_the_picture_costs_the_same_statements_for_2_or_10_fellows(
    app, make_fellow, make_organisation, make_expert, make_organiser, login, count_queries
):
    organiser = login(make_organiser())

    def fellows(first: int, last: int) -> None:
        for n in range(first, last):
            experts = [
                make_expert(f"Expert {n}.{k}", department=f"Department {k}", topics=(f"Topic {k}",)) for k in range(3)
            ]
            fellow = _fellow(
                app, make_fellow, make_organisation, name=f"Fellow {n}", cohort=2025, organisation=f"Org {n}",
                asks=("Topic 0", f"Topic {n}"),
            )  # fmt: skip
            _meet(app, fellow, *[(expert, k - 1) for k, expert in enumerate(experts)])

    fellows(0, 2)
    with count_queries() as few:
        assert organiser.get(PAGE).status_code == 200
    fellows(2, 10)
    with count_queries() as many:
        page = text_of(organiser.get(PAGE))
    assert "Fellows 10 Experts met 30 Meetings held 10 Meetings planned 20" in page
    assert many.count == few.count <= 12


def test_the_demo_programme_s_picture_shows_its_meetings_and_a_thin_field(app, runner, client):
    from fellows.demo import DEMO_PASSWORD, ORGANISER_EMAIL

    assert runner.invoke(args=["demo"]).exit_code == 0
    client.post("/login", data={"email": ORGANISER_EMAIL, "password": DEMO_PASSWORD})
    response = client.get(PAGE)
    assert response.status_code == 200
    page = text_of(response)
    assert "Amelia Hart , Department for Science, Innovation and Technology: 6 experts, 5 held, 1 planned" in page
    assert "Data and privacy Thin 3 1 1 0" in page  # three questions ask about it; one expert met
    assert "Not met yet" in page
    assert len(re.findall(r'<figure class="chart"><svg ', response.get_data(as_text=True))) == 2
