"""Every main page costs the same small number of queries with a little data and with ten times more.

One world is built with 3 of everything (fellows, upcoming and past events, bookings, write-ups,
experts), each page is requested and its SQL statements counted; the world then grows to 30 of
everything and the pages are requested again. A page whose count grows has an N+1 (one query per row);
a page over its limit loads in pieces what it could load at once. Per-page tests elsewhere check what
the pages show; this one is the whole list in one place, so a new N+1 anywhere shows up here.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from core.caching import unseen_by_cached_answers
from core.models import Tag
from events.models import Booking, Event, Speaker
from extensions import db
from fellows import user_cache
from fellows.models import Organisation, User
from programmes.models import PolicyQuestion
from writeups.models import Note, NoteLink, NoteReviewLink, NoteReviewResponse

#: The goal of issue 12 for every main page, the home pages included (each area's section loads its rows
#: with their counts in one query).
MOST = 10
#: Pages allowed more than the goal, with the reason (none today).
LIMITS: dict[str, int] = {}

_serial = itertools.count()
#: Fellows who have joined have a password hash; these never sign in, and hashing 30 passwords is slow.
JOINED = "scrypt:never-used"


def _monday_in(weeks: int) -> date:
    today = date.today()
    return today + timedelta(days=7 * weeks - today.weekday())


def _grow(app, n: int, *, heavy_id: int, big_event_id: int, visit_fellow_id: int) -> None:
    """Add ``n`` of everything: fellows (each booked on the big event), upcoming and past public events
    with a speaker and a topic (the heavy fellow booked on all), write-ups with a link, experts, and policy
    questions of the visiting fellow."""
    from programmes.models import Expert

    now = datetime.now(UTC).replace(microsecond=0)
    with app.app_context():
        topic = db.session.scalar(db.select(Tag).filter_by(slug="ai-policy"))
        heavy = db.session.get(User, heavy_id)
        for _ in range(n):
            i = next(_serial)
            organisation = Organisation(name=f"Department {i}", kind="government")
            fellow = User(
                email=f"fellow{i}@example.org",
                role="fellow",
                name=f"Hart Fellow {i}",
                organisation=organisation,
                visibility="fellows",
                cohort=2020 + i % 5,
                interests=[topic],
                password_hash=JOINED,
            )
            upcoming = Event(
                title=f"Lunch {i}",
                kind="lunch",
                state="published",
                audience="public",
                starts_at=now + timedelta(days=3 + i),
                ends_at=now + timedelta(days=3 + i, hours=2),
                capacity=40,
                host=organisation,
                topics=[topic],
            )
            past = Event(
                title=f"Seminar {i}",
                kind="seminar",
                state="published",
                audience="public",
                starts_at=now - timedelta(days=10 + i),
                ends_at=now - timedelta(days=10 + i, hours=-2),
                host=organisation,
                topics=[topic],
            )
            db.session.add_all([fellow, upcoming, past])
            db.session.flush()
            db.session.add_all(
                [
                    Speaker(event_id=upcoming.id, name=f"Speaker {i}", organisation=organisation),
                    Speaker(event_id=past.id, name=f"Speaker {i}", fellow_id=fellow.id),
                    Booking(event_id=big_event_id, user_id=fellow.id, state="confirmed"),
                    # Every other one waitlisted: the home page and My bookings show the places in queue.
                    Booking(event_id=upcoming.id, user_id=heavy.id, state="waitlisted" if i % 2 else "confirmed"),
                    Booking(event_id=past.id, user_id=heavy.id, state="confirmed", attendance="attended"),
                    Booking(event_id=past.id, user_id=fellow.id, state="confirmed", attendance="attended"),
                ]
            )
            note = Note(
                event_id=past.id,
                title=f"Write-up {i}",
                summary="What was said.",
                body=f"## Discussion {i}\n\nParticipants talked about *evidence*.",
                state="published",
                audience="public",
                published_at=now - timedelta(days=5, minutes=i),
                topics=[topic],
            )
            note.links.append(NoteLink(title=f"Reading {i}", url=f"https://example.org/{i}"))
            # A second write-up in review, with a reviewer who answered (the organisers' home page).
            in_review = Note(event_id=past.id, title=f"Draft {i}", body="Draft.", state="in_review", audience="public")
            link = NoteReviewLink(
                token_hash=f"hash-{i}", reviewer_name=f"Reviewer {i}", reviewer_email=f"r{i}@uni.example"
            )
            link.responses.append(NoteReviewResponse(decision="approve" if i % 2 else "comment", comment="Fine."))
            in_review.review_links.append(link)
            db.session.add_all([note, in_review])
            # One more question of the visiting fellow: the visit page suggests experts for each.
            db.session.add(
                PolicyQuestion(
                    fellow_id=visit_fellow_id, question=f"How can services use evidence {i}?", topics=[topic]
                )
            )
            db.session.add(
                Expert(
                    name=f"Expert {i}",
                    email=f"expert{i}@uni.example",
                    meeting_mode="in_person",
                    biography="Studies digital services and evidence.",
                    topics=[topic],
                    organisation=organisation,
                )
            )
        db.session.commit()


def _pages(ids: dict) -> list[tuple[str, str, str]]:
    """(name, path, who): the main pages of issue 12."""
    big = ids["big_event"]
    return [
        ("events", "/events", "anonymous"),
        ("events_past", "/events?when=past", "anonymous"),
        ("event", f"/events/{big}", "fellow"),
        ("attendees", f"/organiser/events/{big}/attendees", "organiser"),
        ("check_in", f"/organiser/events/{big}/check-in", "organiser"),
        ("directory", "/fellows", "fellow"),
        ("directory_search", "/fellows?q=hart", "fellow"),
        ("profile", f"/fellows/{ids['other']}", "fellow"),
        ("notes", "/notes", "anonymous"),
        ("note", f"/notes/{ids['note']}", "anonymous"),
        ("my_bookings", "/my/bookings", "fellow"),
        ("notes_atom", "/notes/feed.atom", "anonymous"),
        ("home_anonymous", "/", "anonymous"),
        ("home_fellow", "/", "fellow"),
        ("home_organiser", "/", "organiser"),
        ("visit", f"/organiser/visits/{ids['visit']}", "organiser"),
        ("dashboard", "/organiser/programme-dashboard", "organiser"),
        ("network", "/organiser/programme-network", "organiser"),
    ]


def test_main_pages_cost_the_same_few_queries_for_3_or_30_of_everything(
    app, login, make_fellow, make_organiser, make_event, count_queries
):
    heavy = make_fellow(name="Amelia Hart", visibility="fellows", interests=("AI policy",))
    organiser = make_organiser()
    big_event = make_event(title="The big conference", audience="public", capacity=400, topics=("AI policy",))
    clients = {"anonymous": app.test_client(), "fellow": login(heavy), "organiser": login(organiser)}
    with app.app_context():
        db.session.add(
            PolicyQuestion(
                fellow_id=heavy.id,
                question="How can digital services use evidence?",
                topics=[db.session.scalar(db.select(Tag).filter_by(slug="ai-policy"))],
            )
        )
        db.session.commit()
    start = _monday_in(3)
    created = clients["organiser"].post(
        "/organiser/visits/new",
        data={
            "fellow_id": heavy.id,
            "starts_on": start.isoformat(),
            "ends_on": (start + timedelta(days=4)).isoformat(),
            "day_starts": "09:00",
            "day_ends": "17:30",
            "lunch_starts": "12:30",
            "lunch_ends": "13:30",
            "meeting_minutes": "45",
            "max_per_day": "6",
            "home_location": "Alison Richard Building",
            "reminder_after_days": "5",
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    grow = {"heavy_id": heavy.id, "big_event_id": big_event, "visit_fellow_id": heavy.id}
    _grow(app, 3, **grow)
    with app.app_context():
        from programmes.models import VisitProgramme

        ids = {
            "big_event": big_event,
            "heavy": heavy.id,
            "other": db.session.scalar(db.select(User.id).where(User.name.like("Hart Fellow%")).order_by(User.id)),
            "note": db.session.scalar(db.select(Note.id).filter_by(state="published").order_by(Note.id)),
            "visit": db.session.scalar(db.select(VisitProgramme.id)),
        }

    def measure() -> dict[str, tuple[int, int, list[str]]]:
        counts = {}
        for name, path, who in _pages(ids):
            with count_queries() as counter:
                response = clients[who].get(path)
            counts[name] = (response.status_code, counter.count, counter.statements)
        return counts

    few = measure()
    _grow(app, 27, **grow)
    many = measure()

    problems = []
    for name, (status, count, statements) in many.items():
        limit = LIMITS.get(name, MOST)
        if status != 200 or few[name][0] != 200:
            problems.append(f"{name}: HTTP {few[name][0]} then {status}")
        elif count != few[name][1]:
            problems.append(f"{name}: {few[name][1]} queries with 3 of everything, {count} with 30")
        elif count > limit:
            problems.append(f"{name}: {count} queries (at most {limit}):\n  " + "\n  ".join(statements))
    assert not problems, "\n".join(problems)


def test_the_directory_search_finds_fellows_by_organisation_as_well_as_by_name(app, login, make_fellow):
    """The search reads the organisation through a subquery now (not a second join): both still match."""
    viewer = make_fellow(name="Viewer")
    with app.app_context():
        treasury = Organisation(name="HM Treasury", kind="government")
        db.session.add(treasury)
        db.session.commit()
        treasury_id = treasury.id
    make_fellow(name="Zadie Quill", organisation_id=treasury_id, visibility="fellows")
    make_fellow(name="Treasure Hunter", visibility="fellows")
    make_fellow(name="Someone Else", visibility="fellows")
    page = login(viewer).get("/fellows?q=treas").get_data(as_text=True)
    assert "Zadie Quill" in page and "Treasure Hunter" in page
    assert "Someone Else" not in page


def test_a_signed_in_person_is_read_from_the_database_again_only_after_a_change(app, login, make_fellow, count_queries):
    """Each process keeps the signed-in person's row between changes (``fellows.user_cache``): a page that
    needs nothing else sends no SQL at all, and a change to the person is seen on the very next request."""
    fellow = make_fellow(name="Grace Hopper")
    client = login(fellow)
    assert "Grace Hopper" in client.get("/privacy").get_data(as_text=True)
    with count_queries() as counter:
        page = client.get("/privacy").get_data(as_text=True)
    assert "Grace Hopper" in page and counter.count == 0, counter.statements

    with app.app_context():
        db.session.get(User, fellow.id).name = "Grace Brewster Hopper"
        db.session.commit()
    with count_queries() as counter:
        page = client.get("/privacy").get_data(as_text=True)
    assert "Grace Brewster Hopper" in page
    assert [statement for statement in counter.statements if "FROM users" in statement], counter.statements

    client.post("/logout")
    page = client.get("/privacy").get_data(as_text=True)
    assert "Grace Brewster Hopper" not in page and "Sign in" in page


def test_a_sign_out_whose_announcement_was_lost_still_ends_the_session_within_a_minute(app, login, make_fellow):
    """A sign-out elsewhere is announced by a new generation; should that announcement be lost (Redis failing
    at that moment), the kept copy of the person is still read again once it is KEPT_SECONDS old."""
    fellow = make_fellow(name="Grace Hopper")
    client = login(fellow)
    assert "Grace Hopper" in client.get("/privacy").get_data(as_text=True)
    with app.app_context(), unseen_by_cached_answers():  # the session version moves on, unannounced
        db.session.get(User, fellow.id).session_version += 1
        db.session.commit()
    assert "Grace Hopper" in client.get("/privacy").get_data(as_text=True)  # the kept copy, for now
    generation, kept = app.extensions["kept_users"]
    read_at, values = kept[fellow.id]
    kept[fellow.id] = (read_at - user_cache.KEPT_SECONDS, values)  # as a minute later
    page = client.get("/privacy").get_data(as_text=True)
    assert "Grace Hopper" not in page and "Sign in" in page


def test_a_kept_person_never_overwrites_the_same_person_already_changed_in_the_session(app, login, make_fellow):
    fellow = make_fellow(name="Grace Hopper")
    login(fellow).get("/privacy")  # kept by this process
    with app.test_request_context():
        held = db.session.get(User, fellow.id)
        held.name = "Grace Brewster Hopper"  # not flushed yet
        assert user_cache.load(fellow.id) is held
        assert held.name == "Grace Brewster Hopper" and held in db.session.dirty
