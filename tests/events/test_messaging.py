"""Talking to people (issue 11): invitation emails, messages to an event's bookers, announcements of new
events to fellows who opted in (with an unsubscribe link that needs no sign-in), and organisers' alerts
of requests to join and reviewers' answers — each email through the outbox, once."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from core.models import Tag, utcnow
from events.models import EventMessage
from extensions import db
from fellows.models import User
from tests.conftest import link_in
from tests.notes_helpers import book_fixture, make_note_fixture, past, text_of  # noqa: F401  (fixtures)

# Invitations ----------------------------------------------------------------------------------------


def test_invited_fellows_are_emailed_once_with_the_event_page_and_its_ics(
    app, make_organiser, make_fellow, make_event, login, outbox
):
    event_id = make_event(audience="invitation", title="Closed roundtable")
    chosen = make_fellow(name="Chosen Fellow")
    keen = make_fellow(interests=("Data and privacy",), name="Keen Fellow")
    client = login(make_organiser())

    response = client.post(
        f"/organiser/events/{event_id}/invitations", data={"fellows": [str(chosen.id)]}, follow_redirects=True
    )
    assert "1 fellow invited and emailed a link to the event." in text_of(response)
    with app.app_context():
        tag = db.session.scalar(select(Tag.id).filter_by(name="Data and privacy"))
    client.post(f"/organiser/events/{event_id}/invitations/interest", data={"tag_id": str(tag)})
    # Inviting again (chosen by name, and everyone with the interest) sends nothing more.
    again = client.post(f"/organiser/events/{event_id}/invitations", data={"fellows": [str(chosen.id), str(keen.id)]})
    client.post(f"/organiser/events/{event_id}/invitations/interest", data={"tag_id": str(tag)})

    assert again.status_code == 302
    messages = outbox(kind="event_invitation")
    assert sorted(m.to_address for m in messages) == sorted([chosen.email, keen.email])
    message = messages[0]
    assert message.subject == "You are invited: Closed roundtable"
    assert link_in(message, f"/events/{event_id}") == f"/events/{event_id}"
    assert link_in(message, f"/events/{event_id}/event.ics")
    # The link opens the event page for the invitee, who can book from it.
    page = text_of(login(chosen).get(link_in(message, f"/events/{event_id}")))
    assert "Closed roundtable" in page and "Book a place" in page


def test_fellows_invited_to_a_draft_are_emailed_when_it_is_published(
    app, make_organiser, make_fellow, make_event, login, outbox
):
    event_id = make_event(audience="invitation", state="draft")
    fellow = make_fellow()
    client = login(make_organiser())
    response = client.post(
        f"/organiser/events/{event_id}/invitations", data={"fellows": [str(fellow.id)]}, follow_redirects=True
    )
    assert "they are emailed when the event is published" in text_of(response)
    assert outbox(kind="event_invitation") == []

    client.post(f"/organiser/events/{event_id}/publish")
    client.post(f"/organiser/events/{event_id}/invitations", data={"fellows": [str(fellow.id)]})

    assert [m.to_address for m in outbox(kind="event_invitation")] == [fellow.email]


# Messages to attendees ------------------------------------------------------------------------------


def _preview(client, event_id, **data):
    form = {"audience": "confirmed", "subject": "Room change", "body": "We meet in Room 2.\nBring ID."} | data
    return client.post(f"/organiser/events/{event_id}/messages", data=form)


def _send_token(response) -> str:
    return re.search(r'name="send_token" type="hidden" value="([^"]+)"', text_of(response)).group(1)


def test_organiser_previews_then_sends_a_message_to_confirmed_bookers(
    app, make_organiser, make_fellow, make_event, book, login, outbox
):
    event_id = make_event(title="Data lunch")
    ada, bob, wait = make_fellow(name="Ada Lovelace"), make_fellow(name="Bob"), make_fellow(name="Wendy")
    book(event_id, ada)
    book(event_id, bob)
    book(event_id, wait, state="waitlisted")
    book(event_id, make_fellow(), state="cancelled")
    organiser = make_organiser(name="Olivia Grant")
    client = login(organiser)

    assert "Message attendees" in text_of(client.get(f"/organiser/events/{event_id}/attendees"))
    page = text_of(client.get(f"/organiser/events/{event_id}/messages"))
    assert "People with a confirmed place (2 people)" in page and "People on the waitlist (1 person)" in page

    preview = _preview(client, event_id)
    assert preview.status_code == 200
    shown = text_of(preview)
    assert "2 people will receive it" in shown
    assert (
        "Dear Ada Lovelace" in shown and "We meet in Room 2." in shown and "Olivia Grant, for the organisers" in shown
    )
    assert outbox() == []  # a preview sends nothing

    token = _send_token(preview)
    form = {
        "audience": "confirmed",
        "subject": "Room change",
        "body": "We meet in Room 2.\nBring ID.",
        "send_token": token,
    }
    sent = client.post(f"/organiser/events/{event_id}/messages/send", data=form, follow_redirects=True)
    assert "The message is sent to 2 people." in text_of(sent)
    # A double submit of the same preview sends nothing more.
    again = client.post(f"/organiser/events/{event_id}/messages/send", data=form, follow_redirects=True)
    assert "already sent" in text_of(again)

    messages = outbox(kind="event_message")
    assert sorted(m.to_address for m in messages) == sorted([ada.email, bob.email])
    assert all(m.subject == "Room change" and "Bring ID." in m.text_body for m in messages)
    with app.app_context():
        [record] = db.session.scalars(select(EventMessage)).all()
        assert (record.audience, record.recipient_count, record.sent_by_id) == ("confirmed", 2, organiser.id)
    listing = text_of(client.get(f"/organiser/events/{event_id}/messages"))
    assert "Room change" in listing and "People with a confirmed place: 2 people" in listing


def test_messages_to_the_waitlist_and_to_everyone(app, make_organiser, make_fellow, make_event, book, login, outbox):
    event_id = make_event()
    ada, wait = make_fellow(), make_fellow()
    book(event_id, ada)
    book(event_id, wait, state="waitlisted")
    client = login(make_organiser())

    for audience, expected in (("waitlisted", [wait.email]), ("all", sorted([ada.email, wait.email]))):
        preview = _preview(client, event_id, audience=audience, subject=f"To {audience}")
        assert f"{len(expected)} {'person' if len(expected) == 1 else 'people'} will receive it" in text_of(preview)
        data = {"audience": audience, "subject": f"To {audience}", "body": "Hello", "send_token": _send_token(preview)}
        client.post(f"/organiser/events/{event_id}/messages/send", data=data)
        assert sorted(m.to_address for m in outbox(subject=f"To {audience}")) == expected


def test_a_message_must_be_previewed_and_must_reach_someone(app, make_organiser, make_event, login, outbox):
    event_id = make_event()
    client = login(make_organiser())
    empty = _preview(client, event_id, subject="", body="")
    assert empty.status_code == 400 and "Enter a subject" in text_of(empty)
    unpreviewed = client.post(
        f"/organiser/events/{event_id}/messages/send", data={"audience": "all", "subject": "S", "body": "B"}
    )
    assert unpreviewed.status_code == 400 and "Preview the message before sending it." in text_of(unpreviewed)
    nobody = client.post(
        f"/organiser/events/{event_id}/messages/send",
        data={"audience": "all", "subject": "S", "body": "B", "send_token": "x" * 32},
    )
    assert nobody.status_code == 409 and "Nobody would receive this message" in text_of(nobody)
    assert outbox() == []


# Announcements of new events ------------------------------------------------------------------------


def test_publishing_announces_the_event_once_to_opted_in_fellows_with_a_matching_interest(
    app, make_organiser, make_fellow, make_event, login, outbox
):
    keen = make_fellow(name="Keen", interests=("Energy",), notify_new_events=True)
    make_fellow(name="Not opted in", interests=("Energy",))
    make_fellow(name="Other interest", interests=("Health",), notify_new_events=True)
    make_fellow(name="Gone", interests=("Energy",), notify_new_events=True, active=False)
    event_id = make_event(state="draft", title="Grid futures", topics=("Energy", "Transport"))
    private_id = make_event(state="draft", audience="invitation", topics=("Energy",))
    client = login(make_organiser())

    client.post(f"/organiser/events/{event_id}/publish")
    client.post(f"/organiser/events/{private_id}/publish")

    [message] = outbox(kind="event_announcement")
    assert message.to_address == keen.email and message.subject == "New event: Grid futures"
    assert "Energy" in message.sent_text and link_in(message, f"/events/{event_id}")
    # The unsubscribe link is sealed in the stored copy, like other private links.
    assert "/unsubscribe/" not in message.text_body and "/unsubscribe/" in message.sent_text
    with app.app_context():
        from events import notifications
        from events.models import Event

        assert notifications.announce_event(db.session.get(Event, event_id)) == 0  # at most once per event


def test_the_unsubscribe_link_works_without_signing_in(app, client, make_fellow, make_event, login, outbox):
    from fellows.unsubscribe import unsubscribe_link

    fellow = make_fellow(interests=("Energy",), notify_new_events=True)
    with app.app_context():
        path = link_in(unsubscribe_link(db.session.get(User, fellow.id)), "/unsubscribe/")

    page = client.get(path)
    assert page.status_code == 200 and "Stop these emails" in text_of(page)
    with app.app_context():
        assert db.session.get(User, fellow.id).notify_new_events is True  # a GET (a mail scanner) changes nothing
    done = client.post(path)
    assert done.status_code == 200 and "will no longer be sent" in text_of(done)
    with app.app_context():
        assert db.session.get(User, fellow.id).notify_new_events is False
    assert client.get(path[:-3] + "abc").status_code == 404  # a tampered token is refused
    assert client.post("/unsubscribe/forged").status_code == 404


def test_fellows_opt_in_to_announcements_on_the_account_page(app, make_fellow, login):
    fellow = make_fellow()
    client = login(fellow)
    page = text_of(client.get("/account"))
    assert 'id="notify_new_events" name="notify_new_events" value="y" aria' in page  # off by default
    assert "organiser_alerts" not in page  # organisers only
    client.post("/account/email-preferences", data={"notify_reminders": "y", "notify_new_events": "y"})
    with app.app_context():
        user = db.session.get(User, fellow.id)
        assert (user.notify_new_events, user.notify_reminders, user.notify_writeups) == (True, True, False)


def test_organisers_account_page_offers_no_announcements_and_links_nowhere_missing(app, make_organiser, login):
    """Announcements of new events go to fellows by the interests on their profile; organisers have neither,
    so their account page neither offers them nor links to a profile they do not have."""
    client = login(make_organiser())
    html = client.get("/account").get_data(as_text=True)
    assert "notify_new_events" not in html
    assert 'name="organiser_alerts"' in html
    pages = sorted({href for href in re.findall(r'href="(/[^"#]*)', html) if not href.startswith("/static/")})
    assert len(pages) > 5  # the navigation and the page's own links
    for href in pages:
        assert client.get(href, follow_redirects=True).status_code == 200, href


# Organisers' alerts and the daily digest ------------------------------------------------------------


def _join(client, name="Nadia Khan"):
    return client.post(
        "/join",
        data={
            "name": name,
            "email": f"{name.split()[0].lower()}@example.org",
            "organisation": "HM Treasury",
            "reason": "I am a new fellow.",
        },
    )


def test_organisers_choose_each_digest_or_none_for_join_requests(app, client, runner, make_organiser, login, outbox):
    each = make_organiser(name="Each", organiser_alerts="each")
    digest = make_organiser(name="Digest")
    make_organiser(name="None", organiser_alerts="none")
    assert "organiser_alerts" in text_of(login(digest).get("/account"))

    _join(client)

    [alert] = outbox(kind="organiser_alert")
    assert alert.to_address == each.email and alert.subject == "New request to join: Nadia Khan"
    assert link_in(alert, "/organiser/join-requests")

    assert "1 digest(s) queued." in runner.invoke(args=["digest"]).output
    assert "0 digest(s) queued." in runner.invoke(args=["digest"]).output  # once a day
    [mail] = outbox(kind="organiser_digest")
    assert mail.to_address == digest.email and "Nadia Khan (HM Treasury) asked to join" in mail.text_body
    assert mail.subject == "Your daily digest: 1 new item"


def test_the_next_days_digest_lists_only_what_happened_since(app, client, make_organiser, outbox):
    from fellows.alerts import queue_digests

    make_organiser()
    _join(client, "Nadia Khan")
    with app.app_context():
        assert queue_digests() == 1
        db.session.commit()
    _join(client, "Omar Ali")
    with app.app_context():
        assert queue_digests() == 0  # later the same day: it waits for tomorrow
        assert queue_digests(utcnow() + timedelta(days=1)) == 1
        db.session.commit()
    first, second = outbox(kind="organiser_digest")
    assert "Nadia" in first.text_body and "Omar" not in first.text_body
    assert "Omar" in second.text_body and "Nadia" not in second.text_body


def test_a_reviewers_answer_alerts_organisers(app, client, make_event, make_note, make_organiser, login, outbox):
    each = make_organiser(organiser_alerts="each")
    make_organiser()
    note_id = make_note(make_event(starts_at=past()), state="in_review", published_at=None, title="Grid draft")
    organiser = login(each)
    organiser.post(
        f"/organiser/notes/{note_id}/review-links", data={"reviewer_name": "Mark", "reviewer_email": "m@example.org"}
    )
    path = link_in(outbox(kind="note_review_request")[-1], "/review/")

    client.post(path, data={"decision": "approve"})

    [alert] = outbox(kind="organiser_alert")
    assert alert.to_address == each.email and alert.subject == "Review approved: Grid draft"
    assert link_in(alert, f"/organiser/notes/{note_id}")
    with app.app_context():
        from fellows.alerts import queue_digests

        assert queue_digests() == 1
        db.session.commit()
    assert "Mark: " in outbox(kind="organiser_digest")[0].text_body
