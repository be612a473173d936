"""Issue 23 (2): deleting an account erases the person everywhere. A demo fellow with data in every area
(profile, bookings with answers, tenure, policy questions, visits with experts invited by email and meetings,
feedback, a write-up of her visit with revisions, a calendar feed) deletes her account through the page;
then every text column of every table is read for her name, email and the texts of her questions."""

from __future__ import annotations

import re

from sqlalchemy import JSON, String, Text, select

from core.timeutil import local_today
from events.models import Booking, Event
from extensions import db
from fellows.models import User
from programmes.models import FollowUp, ImpactRecord, Meeting, PolicyQuestion, VisitProgramme
from tests.events_helpers import text_of
from writeups.models import Note


def _signed_in(app, email, password):
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": password}).status_code == 302
    return client


def _text_columns():
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String | Text | JSON) or column.type.__class__.__name__ == "TSVECTOR":
                yield table, column


def _where_found(needles: list[str]) -> list[str]:
    """Every (table.column, row) whose text holds one of the needles, case-insensitively."""
    found = []
    for table, column in _text_columns():
        if column.type.__class__.__name__ == "TSVECTOR":
            continue
        primary = list(table.primary_key.columns)
        for row in db.session.execute(select(*primary, column).where(column.is_not(None))):
            value = str(row[-1]).lower()
            for needle in needles:
                if needle.lower() in value:
                    found.append(f"{table.name}.{column.name} {tuple(row[:-1])}: {needle!r}")
    return found


def _bookable_events(app, user_id):
    from core.models import utcnow

    with app.app_context():
        booked = select(Booking.event_id).where(Booking.user_id == user_id)
        return list(
            db.session.scalars(
                select(Event.id)
                .where(Event.state == "published", Event.starts_at > utcnow(), Event.audience != "invitation")
                .where(Event.id.not_in(booked))
                .order_by(Event.starts_at)
            )
        )


def test_a_deleted_fellow_leaves_no_trace_but_pseudonymised_audit_entries(app, runner):
    from fellows.demo import DEMO_PASSWORD, ORGANISER_EMAIL
    from programmes.demo import FELLOW_EMAIL

    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        amelia = db.session.scalar(select(User).where(User.email == FELLOW_EMAIL))
        name, amelia_id = amelia.name, amelia.id
        questions = [
            q.question for q in db.session.scalars(select(PolicyQuestion).where(PolicyQuestion.fellow_id == amelia_id))
        ]
        visits = db.session.scalars(
            select(VisitProgramme).where(VisitProgramme.fellow_id == amelia_id).order_by(VisitProgramme.starts_on)
        ).all()
        past, coming = visits[0].id, visits[-1].id
        answers = [
            text
            for booking in db.session.scalars(select(Booking).where(Booking.user_id == amelia_id))
            for text in (booking.dietary_requirements, booking.access_needs, booking.comment)
            if text
        ]
        own_words = [amelia.biography[:60], amelia.job_title]
        # The follow-ups of her past meetings; one the programme team owes is nudged to the organisers
        # (an email that names her and quotes the action) before she goes.
        follow_ups = db.session.scalars(
            select(FollowUp).join(Meeting).where(Meeting.programme_id == past).order_by(FollowUp.id)
        ).all()
        actions = [f.action for f in follow_ups]
        # Her impact record and the quote in it.
        impact = db.session.scalar(select(ImpactRecord).where(ImpactRecord.fellow_id == amelia_id))
        actions += [impact.what_changed, impact.evidence, *(q.text for q in impact.quotes)]
        owed = next(f for f in follow_ups if f.owner == "organiser" and f.due_on < local_today())
        owed.nudged_at = None
        db.session.scalar(select(User).where(User.email == ORGANISER_EMAIL)).organiser_alerts = "each"
        db.session.commit()
    assert questions and past != coming and all(own_words) and actions
    assert "1 follow-up nudge(s) queued" in runner.invoke(args=["follow-up-nudges"]).output
    organiser = _signed_in(app, ORGANISER_EMAIL, DEMO_PASSWORD)
    # Experts invited by email for her coming visit (the emails carry her name, job and questions).
    page = text_of(organiser.get(f"/organiser/visits/{coming}"))
    assert "Suggested experts" in page
    organiser.post(f"/organiser/visits/{coming}/invite")
    # A write-up of her past visit, edited once (a revision that quotes her questions).
    response = organiser.post(f"/organiser/notes/new/visit/{past}")
    note_id = int(re.search(r"/organiser/notes/(\d+)/edit", response.headers["Location"]).group(1))
    with app.app_context():
        note = db.session.get(Note, note_id)
        data = {"version": str(note.version), "title": note.title, "summary": note.summary, "body": note.body}
    data |= {"audience": "fellows", "chatham_house": "y", "body": data["body"] + "\n\nThanks to Amelia Hart."}
    assert organiser.post(f"/organiser/notes/{note_id}/edit", data=data).status_code == 302

    amelia_client = _signed_in(app, FELLOW_EMAIL, DEMO_PASSWORD)
    amelia_client.post("/my/calendar/reset")
    event = _bookable_events(app, amelia_id)[0]
    booked = amelia_client.post(f"/events/{event}/book", data={"dietary_requirements": "No walnuts, ever"})
    assert booked.status_code == 302
    answers.append("No walnuts, ever")
    deleted = amelia_client.post("/account/delete", data={"delete-password": DEMO_PASSWORD, "delete-confirm": "y"})
    assert deleted.status_code == 302

    with app.app_context():
        assert db.session.get(User, amelia_id) is None
        first, last = name.split()[0], name.split()[-1]
        found = _where_found([name, FELLOW_EMAIL, first + " " + last, *questions, *answers, *own_words, *actions])
        leftovers = [place for place in found if not place.startswith("audit_entries.")]
        assert leftovers == []
        # The audit log keeps what happened, pseudonymised: no entry names her.
        assert [place for place in found if place.startswith("audit_entries.")] == []
