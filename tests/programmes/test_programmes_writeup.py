"""Issue 10: an organiser turns a visit programme into a write-up through the notes workflow, with its
Chatham House check (which flags the fellow's and the experts' names), and readers see it like any note."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from extensions import db
from programmes.models import Expert, ExpertInvitation, Meeting, PolicyQuestion, VisitProgramme
from tests.events_helpers import text_of
from writeups.models import Note

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def visit(app, make_fellow, make_expert):
    """Ada Lovelace's past visit week: two questions, two experts met about the first, none about the second."""
    fellow = make_fellow(name="Ada Lovelace")
    hopper = make_expert("Dr Grace Hopper", department="Department of Computer Science and Technology")
    turing = make_expert("Alan Turing", department="Bennett Institute for Public Policy")
    with app.app_context():
        first = PolicyQuestion(fellow_id=fellow.id, question="How should digital public services be designed?")
        second = PolicyQuestion(fellow_id=fellow.id, question="Who should own civic data?")
        programme = VisitProgramme(fellow_id=fellow.id, starts_on=date(2026, 3, 2), ends_on=date(2026, 3, 6))
        db.session.add_all([first, second, programme])
        for n, expert_id in enumerate([hopper, turing]):
            invitation = ExpertInvitation(
                programme=programme,
                expert=db.session.get(Expert, expert_id),
                question=first,
                status="accepted",
                available=[],
            )
            starts = NOW - timedelta(days=30, hours=n)
            db.session.add(
                Meeting(
                    programme=programme, invitation=invitation, starts_at=starts, ends_at=starts + timedelta(minutes=45)
                )
            )
        db.session.commit()
        return programme.id


def _start(organiser_client, visit_id: int) -> int:
    response = organiser_client.post(f"/organiser/notes/new/visit/{visit_id}")
    assert response.status_code == 302, text_of(response)
    note_id = int(re.search(r"/organiser/notes/(\d+)/edit", response.headers["Location"]).group(1))
    return note_id


def _edit(client, app, note_id: int, **fields):
    with app.app_context():
        note = db.session.get(Note, note_id)
        data = {"version": str(note.version), "title": note.title, "summary": note.summary, "body": note.body}
        data |= {"audience": note.audience, "chatham_house": "y"}
    data |= fields
    return client.post(f"/organiser/notes/{note_id}/edit", data=data)


def test_the_visit_page_starts_a_draft_that_names_nobody(app, visit, make_organiser, login):
    organiser = login(make_organiser())
    page = organiser.get(f"/organiser/visits/{visit}").get_data(as_text=True)
    assert "Start a write-up of this programme" in page
    assert f'action="/organiser/notes/new/visit/{visit}"' in page

    note_id = _start(organiser, visit)
    editor = organiser.get(f"/organiser/notes/{note_id}/edit")
    assert editor.status_code == 200
    assert "Visit programme: A Policy Fellow's visit week · 2 March 2026" in text_of(editor)
    # A programme has no attendees, so the editor does not offer "Attendees only".
    assert 'value="attendees"' not in editor.get_data(as_text=True)

    with app.app_context():
        note = db.session.get(Note, note_id)
        assert (note.state, note.audience, note.chatham_house, note.event_id) == ("draft", "fellows", True, None)
        assert "### How should digital public services be designed?" in note.body
        assert "Discussed in 2 meetings, with people from " in note.body
        assert "Bennett Institute for Public Policy" in note.body
        assert "Department of Computer Science and Technology" in note.body
        assert "### Who should own civic data?\n\nNo meeting was held on this question." in note.body
        assert "2 one-to-one meetings" in note.summary
        for name in ("Ada", "Lovelace", "Hopper", "Turing"):
            assert name not in note.title + note.summary + note.body

    listed = text_of(organiser.get(f"/organiser/notes?about=visit:{visit}"))
    assert "Showing the write-ups of one visit programme" in listed
    assert "What we heard in a Policy Fellow's visit week" in listed


def test_the_chatham_house_check_flags_the_fellow_and_the_experts_met(app, visit, make_organiser, make_fellow, login):
    organiser = login(make_organiser())
    note_id = _start(organiser, visit)
    body = "Dr Hopper argued for open standards. Ada Lovelace asked about procurement. Turing was not named."
    assert _edit(organiser, app, note_id, body=body).status_code == 302

    refused = organiser.post(f"/organiser/notes/{note_id}/publish", data={})
    assert refused.status_code == 400
    page = text_of(refused)
    assert "This note names Dr Grace Hopper" in page
    assert "This note names Ada Lovelace" in page
    assert "Alan Turing" not in page  # a surname alone is not matched (see writeups/chatham.py)
    with app.app_context():
        assert db.session.get(Note, note_id).state == "draft"

    assert _edit(organiser, app, note_id, body="One expert argued for open standards.").status_code == 302
    published = organiser.post(f"/organiser/notes/{note_id}/publish", data={})
    assert published.status_code == 302
    assert "The note is published." in text_of(organiser.get(published.headers["Location"]))

    reader = login(make_fellow())
    article = text_of(reader.get(f"/notes/{note_id}"))
    assert "Write-up of a visit programme: A Policy Fellow's visit week, 2 March 2026." in article
    assert "One expert argued for open standards." in article
    assert "What we heard in a Policy Fellow's visit week" in text_of(reader.get("/notes"))
    # For fellows: an anonymous visitor is sent to sign in, and the public feed leaves it out.
    anonymous = app.test_client()
    assert anonymous.get(f"/notes/{note_id}").status_code == 302
    assert "visit week" not in anonymous.get("/notes/feed.atom").get_data(as_text=True)


def test_a_public_programme_write_up_is_listed_and_in_the_feed(app, visit, make_organiser, login):
    organiser = login(make_organiser())
    note_id = _start(organiser, visit)
    _edit(organiser, app, note_id, audience="public", body="What was said, not who said it.")
    assert organiser.post(f"/organiser/notes/{note_id}/publish", data={}).status_code == 302

    anonymous = app.test_client()
    assert "What we heard in a Policy Fellow's visit week" in text_of(anonymous.get("/notes"))
    assert anonymous.get(f"/notes/{note_id}").status_code == 200
    feed = anonymous.get("/notes/feed.atom").get_data(as_text=True)
    assert "What we heard in a Policy Fellow" in feed and "Write-up of A Policy Fellow" in feed
    # Filtering by a kind of event shows event write-ups only.
    assert "visit week" not in text_of(anonymous.get("/notes?kind=lunch"))


def test_attendees_only_is_refused_for_a_programme_with_nothing_saved(app, visit, make_organiser, login):
    organiser = login(make_organiser())
    note_id = _start(organiser, visit)
    response = _edit(organiser, app, note_id, audience="attendees", body="Changed text.")
    assert response.status_code == 400
    assert "Not a valid choice" in text_of(response)
    with app.app_context():
        note = db.session.get(Note, note_id)
        assert (note.audience, note.version) == ("fellows", 1)
        assert "Changed text." not in note.body


def test_only_organisers_start_a_write_up_of_a_programme_that_exists(app, visit, make_organiser, make_fellow, login):
    fellow = login(make_fellow())
    assert fellow.post(f"/organiser/notes/new/visit/{visit}").status_code == 403
    organiser = login(make_organiser())
    assert organiser.post(f"/organiser/notes/new/visit/{visit + 999}").status_code == 404
    assert organiser.post(f"/organiser/notes/new/meteor/{visit}").status_code == 404
    assert organiser.get(f"/organiser/notes/new/visit/{visit}").status_code == 405
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Note.id))) == 0


def test_a_write_up_outlives_its_programme(app, visit, make_organiser, login):
    """The fellow's account (and so the programme) may be deleted; the note still opens, naming nothing."""
    organiser = login(make_organiser())
    note_id = _start(organiser, visit)
    with app.app_context():
        db.session.delete(db.session.get(VisitProgramme, visit))
        db.session.commit()
    assert "Something no longer recorded" in text_of(organiser.get(f"/organiser/notes/{note_id}"))
    assert organiser.get(f"/organiser/notes/{note_id}/edit").status_code == 200
    assert organiser.post(f"/organiser/notes/{note_id}/publish", data={}).status_code == 302


def test_the_demo_visit_week_is_written_up_through_the_pages(app, runner):
    """Demo data through the UI: Amelia's first (past) visit has meetings held and rated; the organiser
    starts its write-up from the visit page, the editor opens and saves, and publishing passes the check."""
    from fellows.demo import DEMO_PASSWORD, ORGANISER_EMAIL
    from programmes.demo import FELLOW_EMAIL

    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        past = db.session.scalar(db.select(VisitProgramme).order_by(VisitProgramme.starts_on))
        past_id, meetings = past.id, db.session.scalars(db.select(Meeting).where(Meeting.programme_id == past.id)).all()
        assert len(meetings) == 5 and all(m.ends_at < NOW and m.rating for m in meetings)
    amelia = app.test_client()
    amelia.post("/login", data={"email": FELLOW_EMAIL, "password": DEMO_PASSWORD})
    itinerary = text_of(amelia.get(f"/programme/visits/{past_id}"))
    assert itinerary.count("How useful was this meeting?") == 5

    organiser = app.test_client()
    organiser.post("/login", data={"email": ORGANISER_EMAIL, "password": DEMO_PASSWORD})
    dashboard = text_of(organiser.get("/organiser/programme-dashboard"))
    assert "Amelia Hart" in dashboard
    note_id = _start(organiser, past_id)
    with app.app_context():
        body = db.session.get(Note, note_id).body
    assert body.count("Discussed in ") == 3  # each of Amelia's three questions had meetings
    saved = _edit(organiser, app, note_id, body=body + "\n\nThe experts agreed on one thing: keep a human route.")
    assert saved.status_code == 302
    published = organiser.post(f"/organiser/notes/{note_id}/publish", data={})
    assert published.status_code == 302, text_of(published)
    assert "keep a human route" in text_of(amelia.get(f"/notes/{note_id}"))


@pytest.mark.parametrize("reader", ["anonymous", "fellow"])
def test_lists_of_programme_write_ups_cost_the_same_queries_for_one_or_five(
    app, make_fellow, login, count_queries, reader
):
    """The visits behind a list of write-ups are described in one lookup, not one per write-up."""
    client = login(make_fellow()) if reader == "fellow" else app.test_client()
    app.config["PAGE_CACHE"] = False  # count the work of building the pages
    counts = []
    for total in (1, 5):
        with app.app_context():
            while db.session.scalar(db.select(db.func.count(Note.id))) < total:
                fellow = make_fellow()
                visit = VisitProgramme(fellow_id=fellow.id, starts_on=date(2026, 3, 2), ends_on=date(2026, 3, 6))
                db.session.add(visit)
                db.session.flush()
                db.session.add(
                    Note(
                        subject_kind="visit",
                        subject_id=visit.id,
                        title=f"Visit write-up {visit.id}",
                        state="published",
                        published_at=NOW,
                        audience="public",
                    )
                )
                db.session.commit()
        client.get("/notes")  # warm
        with count_queries() as counter:
            listing = client.get("/notes")
            home = client.get("/")
            feed = client.get("/notes/feed.atom")
        assert listing.status_code == home.status_code == feed.status_code == 200
        assert text_of(listing).count("A Policy Fellow's visit week") == total
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
