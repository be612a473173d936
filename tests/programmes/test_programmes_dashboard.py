"""The programme dashboard (issue 10): meetings held, questions covered (uncovered ones flagged),
acceptance per expert and per department, experts most met, per cohort; CSV export; constant queries."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from extensions import db
from programmes.models import Appointment, Expert, ExpertInvitation, Meeting, PolicyQuestion, VisitProgramme
from tests.events_helpers import text_of

NOW = datetime.now(UTC).replace(microsecond=0)


def _programme(app, make_fellow, make_expert, *, name: str, cohort: int, experts: int, declined: int = 0) -> None:
    """A fellow of ``cohort`` with two questions, a past visit, and ``experts`` invited (the first
    ``declined`` decline, the rest accept and meet about the first question)."""
    fellow = make_fellow(name=name)
    expert_ids = [
        make_expert(f"{name} expert {n}", department="Bennett Institute" if n % 2 else "Faculty of Law")
        for n in range(experts)
    ]
    with app.app_context():
        db.session.add(
            Appointment(
                fellow_id=fellow.id, cohort=cohort, starts_on=date(cohort, 10, 1), ends_on=date(cohort + 2, 9, 30)
            )
        )
        first = PolicyQuestion(fellow_id=fellow.id, question=f"{name}: first question")
        second = PolicyQuestion(fellow_id=fellow.id, question=f"{name}: unanswered question")
        visit = VisitProgramme(fellow_id=fellow.id, starts_on=date(2026, 3, 2), ends_on=date(2026, 3, 6))
        db.session.add_all([first, second, visit])
        db.session.flush()
        for n, expert_id in enumerate(expert_ids):
            status = "declined" if n < declined else "accepted"
            invitation = ExpertInvitation(
                programme=visit, expert=db.session.get(Expert, expert_id), question=first, status=status, available=[]
            )
            db.session.add(invitation)
            if status == "accepted":
                starts = NOW - timedelta(days=30, hours=n)
                db.session.add(
                    Meeting(
                        programme=visit,
                        invitation=invitation,
                        starts_at=starts,
                        ends_at=starts + timedelta(minutes=45),
                        rating=4,
                    )
                )
        db.session.commit()


def test_the_dashboard_counts_meetings_flags_uncovered_questions_and_rates(
    app, make_fellow, make_organiser, make_expert, login
):
    _programme(app, make_fellow, make_expert, name="Ada Lovelace", cohort=2025, experts=4, declined=1)
    _programme(app, make_fellow, make_expert, name="Grace Hopper", cohort=2024, experts=2)
    organiser = login(make_organiser())

    page = text_of(organiser.get("/organiser/programme-dashboard"))
    assert "Meetings held 5" in page and "Questions with a meeting 2 of 4" in page
    assert "No meeting Ada Lovelace: unanswered question" in page
    assert "Faculty of Law" in page and "Bennett Institute" in page

    cohort = text_of(organiser.get("/organiser/programme-dashboard?cohort=2025"))
    assert "Ada Lovelace" in cohort and "Grace Hopper" not in cohort
    assert "3 (75%)" in cohort  # 3 of 4 invited accepted

    export = organiser.get("/organiser/programme-dashboard.csv?cohort=2025")
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row["Fellow"] for row in rows] == ["Ada Lovelace"]
    assert rows[0]["Meetings held"] == "3" and rows[0]["Acceptance rate (%)"] == "75"
    assert rows[0]["Questions without a meeting"] == "Ada Lovelace: unanswered question"


def test_only_organisers_see_the_dashboard(app, make_fellow, login, client):
    assert client.get("/organiser/programme-dashboard").status_code == 302
    assert login(make_fellow()).get("/organiser/programme-dashboard.csv").status_code == 403


@pytest.mark.parametrize("path", ["/organiser/programme-dashboard", "/organiser/programme-dashboard.csv"])
def test_the_dashboard_costs_the_same_queries_for_2_or_8_fellows(
    app, make_fellow, make_organiser, make_expert, login, count_queries, path
):
    organiser = login(make_organiser())
    for n in range(2):
        _programme(app, make_fellow, make_expert, name=f"Fellow {n}", cohort=2025, experts=3, declined=1)
    with count_queries() as few:
        assert organiser.get(path).status_code == 200
    for n in range(2, 8):
        _programme(app, make_fellow, make_expert, name=f"Fellow {n}", cohort=2025, experts=3, declined=1)
    with count_queries() as many:
        assert organiser.get(path).status_code == 200
    assert many.count == few.count <= 15
