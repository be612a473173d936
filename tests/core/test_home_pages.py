"""The home page by role (issue 11): what an organiser, a fellow and a signed-out visitor each see on
it, with the counts and links of each section, and the same number of queries however much data."""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, datetime, timedelta

import pytest

from extensions import db
from tests.html import section
from tests.notes_helpers import book_fixture, make_note_fixture  # noqa: F401  (fixtures)

ORGANISER_HEADINGS = ("Drafts to publish", "Write-ups in review", "Failed emails", "Tenures ending soon")


def text(fragment: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed."""
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def part(page: str, section_id: str) -> str:
    """The HTML of the home page's section with this heading id ("" when the section is absent)."""
    return section(page, f'aria-labelledby="{section_id}"', "</section>")


def in_days(app, days: int, hour: int = 12) -> datetime:
    """Noon (local time) ``days`` from today, in UTC: "days to go" counts local calendar days."""
    from core.timeutil import local_to_utc, to_local

    with app.app_context():
        today = to_local(datetime.now(UTC)).date() + timedelta(days=days)
        return local_to_utc(datetime(today.year, today.month, today.day, hour))


def add_failed_email(app, n: int = 1) -> None:
    from core.models import OutboxMessage

    with app.app_context():
        for i in range(n):
            db.session.add(
                OutboxMessage(
                    to_address=f"x{i}@example.org", subject="Hello", text_body="Hi", kind="test", status="failed"
                )
            )
        db.session.commit()


def add_reviews(app, note_id: int, decisions: list[str | None]) -> None:
    """One review link per entry; the reviewer answered with that decision (None: no answer yet)."""
    from writeups.models import NoteReviewLink, NoteReviewResponse

    with app.app_context():
        for i, decision in enumerate(decisions):
            link = NoteReviewLink(
                note_id=note_id,
                token_hash=NoteReviewLink.hash(f"token-{note_id}-{i}-{datetime.now(UTC).timestamp()}"),
                reviewer_name=f"Reviewer {i}",
                reviewer_email=f"reviewer{i}@example.org",
            )
            db.session.add(link)
            if decision:
                link.responses.append(NoteReviewResponse(decision=decision, comment="Fine" if decision else None))
        db.session.commit()


def invite(app, event_id: int, user) -> None:
    from events.models import EventInvitation

    with app.app_context():
        db.session.add(EventInvitation(event_id=event_id, user_id=user.id))
        db.session.commit()


# --- Organisers ---------------------------------------------------------------------------------------


def test_organiser_home_shows_each_section_with_its_count_and_link(
    app, login, make_organiser, make_fellow, make_event, make_note, book
):
    soon = make_event(title="Lunch on AI", capacity=10, starts_at=in_days(app, 7))
    make_event(title="Open-ended seminar", capacity=None, starts_at=in_days(app, 1))
    make_event(title="Long past lunch", starts_at=in_days(app, -30))
    make_event(title="Cancelled lunch", state="cancelled", starts_at=in_days(app, 3))
    draft = make_event(title="Unfinished workshop", state="draft", starts_at=in_days(app, 40))
    for _ in range(3):
        book(soon, make_fellow())
    for _ in range(2):
        book(soon, make_fellow(), state="waitlisted")
    book(soon, make_fellow(), state="cancelled")
    in_review = make_note(soon, title="Draft write-up of the lunch", state="in_review", published_at=None)
    make_note(soon, title="Another draft write-up", state="draft", published_at=None)
    add_reviews(app, in_review, ["approve", "comment", None])
    add_failed_email(app, 2)

    page = login(make_organiser()).get("/").get_data(as_text=True)

    upcoming = part(page, "home-organiser-upcoming")
    assert "Upcoming events (2)" in text(upcoming)
    lunch_row = text(section(upcoming, "Lunch on AI", "</tr>"))
    assert "7 days" in lunch_row and "3 / 10 (30%)" in lunch_row and lunch_row.endswith("2")
    seminar_row = text(section(upcoming, "Open-ended seminar", "</tr>"))
    assert "tomorrow" in seminar_row and "0 (no limit)" in seminar_row
    assert "Long past lunch" not in upcoming and "Cancelled lunch" not in upcoming
    assert f'href="/organiser/events/{soon}/attendees"' in upcoming
    assert 'href="/organiser/events?state=published"' in upcoming

    drafts = part(page, "home-drafts")
    assert "Drafts to publish (1)" in text(drafts) and "Unfinished workshop" in drafts
    assert f'href="/organiser/events/{draft}/edit"' in drafts and 'href="/organiser/events?state=draft"' in drafts

    review = part(page, "home-review")
    assert "Write-ups in review (1)" in text(review) and "Another draft write-up" not in review
    assert "3 reviewers asked: 1 approved, 1 commented" in text(review)
    assert f'href="/organiser/notes/{in_review}"' in review and 'href="/organiser/notes?state=in_review"' in review

    failed = part(page, "home-outbox")
    assert "Failed emails (2)" in text(failed) and "2 emails could not be sent" in text(failed)
    assert 'href="/organiser/outbox"' in failed

    assert part(page, "home-tenures")  # kept from the programme work
    # Fellows' sections are not the organiser's.
    assert not part(page, "home-recommended") and not part(page, "home-bookings")


def test_organiser_home_lists_the_next_ten_events_and_says_how_many_there_are(app, login, make_organiser, make_event):
    for day in range(1, 13):
        make_event(title=f"Event on day {day:02}", starts_at=in_days(app, day))
    upcoming = part(login(make_organiser()).get("/").get_data(as_text=True), "home-organiser-upcoming")
    assert "Upcoming events (12)" in text(upcoming) and "The next 10 of 12" in text(upcoming)
    assert "Event on day 10" in upcoming and "Event on day 11" not in upcoming


def test_organiser_home_with_nothing_to_do_says_so(login, make_organiser):
    page = text(login(make_organiser()).get("/").get_data(as_text=True))
    assert "Upcoming events (0)" in page and "No published event is coming up" in page
    assert "Drafts to publish (0)" in page and "Write-ups in review (0)" in page and "Failed emails (0)" in page


# --- Fellows ------------------------------------------------------------------------------------------


def test_fellow_home_shows_bookings_with_waitlist_places_and_invitations(app, login, make_fellow, make_event, book):
    fellow = make_fellow()
    full = make_event(title="Full lunch", capacity=1, starts_at=in_days(app, 3))
    book(full, make_fellow())
    book(full, make_fellow(), state="waitlisted")
    book(full, fellow, state="waitlisted")
    confirmed = make_event(title="Booked seminar", starts_at=in_days(app, 5))
    book(confirmed, fellow)
    cancelled = make_event(title="Cancelled booking lunch", starts_at=in_days(app, 6))
    book(cancelled, fellow, state="cancelled")
    invited = make_event(title="Closed roundtable", audience="invitation", starts_at=in_days(app, 9))
    invite(app, invited, fellow)
    invited_and_booked = make_event(title="Booked roundtable", audience="invitation", starts_at=in_days(app, 10))
    invite(app, invited_and_booked, fellow)
    book(invited_and_booked, fellow)
    make_event(title="Someone else's roundtable", audience="invitation", starts_at=in_days(app, 11))

    page = login(fellow).get("/").get_data(as_text=True)

    bookings = part(page, "home-bookings")
    assert "Your next bookings (3)" in text(bookings)
    assert "Waitlist · position 2" in text(section(bookings, "Full lunch", "</li>"))
    assert "Confirmed" in text(section(bookings, "Booked seminar", "</li>"))
    assert "Cancelled booking lunch" not in bookings and 'href="/my/bookings"' in bookings

    invitations = part(page, "home-invitations")
    assert "You are invited (1)" in text(invitations) and f'href="/events/{invited}"' in invitations
    assert "Booked roundtable" not in invitations and "Someone else" not in invitations

    for heading in ORGANISER_HEADINGS:
        assert heading not in page
    assert not part(page, "home-organiser-upcoming") and "Requests to join" not in page


def test_recommendations_share_interests_best_first_and_leave_out_what_the_fellow_booked_or_may_not_see(
    app, login, make_fellow, make_event, book
):
    fellow = make_fellow(interests=("AI policy", "Data and privacy"))
    both = make_event(title="Both topics, later", topics=("AI policy", "Data and privacy"), starts_at=in_days(app, 20))
    sooner = make_event(title="AI, sooner", topics=("AI policy",), starts_at=in_days(app, 5))
    make_event(title="AI, later", topics=("AI policy", "Energy"), starts_at=in_days(app, 10), audience="public")
    booked = make_event(title="Booked data lunch", topics=("Data and privacy",), starts_at=in_days(app, 4))
    book(booked, fellow)
    declined = make_event(title="Declined AI lunch", topics=("AI policy",), starts_at=in_days(app, 4))
    book(declined, fellow, state="cancelled")
    make_event(title="Draft AI lunch", topics=("AI policy",), state="draft", starts_at=in_days(app, 4))
    make_event(title="Cancelled AI lunch", topics=("AI policy",), state="cancelled", starts_at=in_days(app, 4))
    make_event(title="Closed AI roundtable", topics=("AI policy",), audience="invitation", starts_at=in_days(app, 4))
    make_event(title="Past AI lunch", topics=("AI policy",), starts_at=in_days(app, -4))
    make_event(title="Energy only", topics=("Energy",), starts_at=in_days(app, 4))

    recommended = part(login(fellow).get("/").get_data(as_text=True), "home-recommended")

    titles = re.findall(r'<a href="/events/\d+">([^<]+)</a>', recommended)
    assert titles == ["Both topics, later", "AI, sooner", "AI, later"]
    assert "Recommended for you (3)" in text(recommended)
    assert "Shares your interests: AI policy, Data and privacy" in text(section(recommended, "Both topics", "</li>"))
    assert "Shares your interests: AI policy" in text(section(recommended, "AI, sooner", "</li>"))
    assert f'href="/events/{both}"' in recommended and f'href="/events/{sooner}"' in recommended


def test_a_fellow_without_interests_is_asked_to_add_some(login, make_fellow, make_event):
    make_event(title="AI lunch", topics=("AI policy",))
    recommended = part(login(make_fellow()).get("/").get_data(as_text=True), "home-recommended")
    assert "Add your policy interests" in text(recommended) and 'href="/profile/edit"' in recommended
    assert "AI lunch" not in recommended


def test_fellow_home_lists_the_write_ups_they_may_read(app, login, make_fellow, make_event, make_note, book):
    fellow = make_fellow()
    attended = make_event(title="Attended lunch", starts_at=in_days(app, -10))
    book(attended, fellow)
    missed = make_event(title="Missed lunch", starts_at=in_days(app, -12))
    make_note(attended, title="Attendees' write-up I attended", audience="attendees")
    make_note(missed, title="Attendees' write-up I missed", audience="attendees")
    make_note(missed, title="Fellows' write-up", audience="fellows")
    make_note(missed, title="Write-up still in review", state="in_review", published_at=None)

    notes = part(login(fellow).get("/").get_data(as_text=True), "home-notes")
    assert "Attendees' write-up I attended" in text(notes) and "Fellows' write-up" in text(notes)
    assert "I missed" not in text(notes) and "still in review" not in notes
    assert 'href="/notes"' in notes


# --- Signed out ---------------------------------------------------------------------------------------


def test_signed_out_visitors_see_public_events_and_write_ups_only(
    app, client, make_event, make_note, make_fellow, book
):
    public = make_event(title="Public lecture", audience="public", topics=("AI policy",))
    make_event(title="Fellows-only lunch", audience="fellows", topics=("AI policy",))
    make_event(title="Invitation roundtable", audience="invitation")
    make_event(title="Draft public lecture", audience="public", state="draft")
    past = make_event(title="Past public lecture", audience="public", starts_at=in_days(app, -20))
    make_note(past, title="Public write-up", audience="public")
    make_note(past, title="Fellows' write-up", audience="fellows")
    book(public, make_fellow())

    page = client.get("/").get_data(as_text=True)
    upcoming = part(page, "home-upcoming")
    assert "Public lecture" in upcoming and f'href="/events/{public}"' in upcoming
    assert "Fellows-only lunch" not in page and "Invitation roundtable" not in page and "Draft public" not in page
    notes = part(page, "home-notes")
    assert "Public write-up" in notes and "Fellows' write-up" not in page
    for heading in (*ORGANISER_HEADINGS, "Recommended for you", "Your next bookings", "You are invited"):
        assert heading not in page


# --- Cost -------------------------------------------------------------------------------------------


def _populate(app, make_event, make_note, book, fellow, others, n: int) -> None:
    """``n`` of everything the home pages count: events with bookings, the fellow's confirmed and
    waitlisted bookings, invitations, drafts, notes in review with answers, failed emails."""
    topics = ("AI policy", "Data and privacy")
    for i in range(n):
        event = make_event(title=f"Upcoming {i}", capacity=2, topics=topics, starts_at=in_days(app, 2 + i))
        for other in others:
            book(event, other, state="confirmed" if other is not others[-1] else "waitlisted")
        mine = make_event(title=f"Mine {i}", capacity=1, topics=topics[:1], starts_at=in_days(app, 3 + i))
        book(mine, others[0])
        book(mine, fellow, state="confirmed" if i % 2 else "waitlisted")
        make_event(title=f"Recommended {i}", topics=topics, audience="public", starts_at=in_days(app, 4 + i))
        invited = make_event(title=f"Invitation {i}", audience="invitation", starts_at=in_days(app, 5 + i))
        invite(app, invited, fellow)
        make_event(title=f"Draft {i}", state="draft", starts_at=in_days(app, 6 + i))
        past = make_event(title=f"Past {i}", topics=topics, audience="public", starts_at=in_days(app, -5 - i))
        make_note(past, title=f"Note {i}", audience="public", topics=topics)
        review = make_note(past, title=f"In review {i}", state="in_review", published_at=None)
        add_reviews(app, review, ["approve", "comment", None])
    add_failed_email(app, n)


@pytest.mark.parametrize("role", ["organiser", "fellow", "anonymous"])
def test_the_home_page_takes_the_same_queries_for_little_or_much_data(
    app, login, make_organiser, make_fellow, make_event, make_note, book, count_queries, role
):
    fellow = make_fellow(interests=("AI policy", "Data and privacy"))
    others = [make_fellow(), make_fellow(), make_fellow()]
    client = {
        "organiser": lambda: login(make_organiser()),
        "fellow": lambda: login(fellow),
        "anonymous": app.test_client,
    }[role]()

    _populate(app, make_event, make_note, book, fellow, others, 1)
    with count_queries() as few:
        small = client.get("/")
    _populate(app, make_event, make_note, book, fellow, others, 12)
    with count_queries() as many:
        large = client.get("/")

    assert small.status_code == large.status_code == 200
    if role == "fellow":
        assert "Waitlist · position" in large.get_data(as_text=True)
        assert "Recommended 0" in part(large.get_data(as_text=True), "home-recommended")
    if role == "anonymous":
        page = large.get_data(as_text=True)
        assert "Recommended 0" in part(page, "home-upcoming") and "Note " in part(page, "home-notes")
    if role == "organiser":
        assert "Upcoming events (52)" in text(large.get_data(as_text=True))
    assert few.count == many.count, "\n".join(many.statements)
    assert many.count <= 15, "\n".join(many.statements)
