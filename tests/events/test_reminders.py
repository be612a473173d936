"""Day-before reminders (``flask --app app reminders``) and the email preferences that govern them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from core.models import OutboxMessage, utcnow
from events.models import Booking, Event
from events.reminders import queue_reminders
from extensions import db
from fellows.models import User


def _soon(hours: float = 20) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(hours=hours)


def _book(app, event_id: int, user, state: str = "confirmed") -> None:
    with app.app_context():
        db.session.add(Booking(event_id=event_id, user_id=user.id, state=state, confirmed_at=utcnow()))
        db.session.commit()


def test_reminders_go_once_to_confirmed_places_at_events_starting_within_a_day(
    app, runner, make_event, make_fellow, outbox
):
    ada, bob, cy, dee = make_fellow(name="Ada"), make_fellow(), make_fellow(), make_fellow()
    tomorrow = make_event(title="Tomorrow's lunch", starts_at=_soon(20))
    _book(app, tomorrow, ada)
    _book(app, tomorrow, bob, "waitlisted")
    _book(app, tomorrow, cy, "cancelled")
    _book(app, make_event(title="Next week", starts_at=_soon(24 * 7)), ada)
    _book(app, make_event(title="Started", starts_at=_soon(-1)), ada)
    _book(app, make_event(title="Called off", starts_at=_soon(10), state="cancelled"), dee)

    result = runner.invoke(args=["reminders"])
    assert result.exit_code == 0, result.output
    assert "1 reminder(s) queued." in result.output
    [reminder] = outbox(kind="reminder")
    assert reminder.to_address == ada.email
    assert reminder.subject == "Reminder: Tomorrow's lunch"
    assert f"http://localhost/events/{tomorrow}" in reminder.text_body
    assert "Dear Ada" in reminder.text_body and "http://localhost/account#emails" in reminder.text_body
    assert f"http://localhost/events/{tomorrow}" in reminder.html_body
    assert reminder.dedupe_key.startswith(f"reminder:{tomorrow}:{ada.id}:")

    # Run again, or every five minutes through the day: still one reminder.
    assert "0 reminder(s) queued." in runner.invoke(args=["reminders"]).output
    with app.app_context():
        start = utcnow()
        for step in range(0, 20 * 12):
            queue_reminders(now=start + timedelta(minutes=5 * step))
            db.session.commit()
        assert db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == "reminder")) == 1


def test_a_sent_reminder_is_not_queued_again(app, runner, make_event, make_fellow, outbox):
    ada = make_fellow()
    _book(app, make_event(starts_at=_soon(5)), ada)
    runner.invoke(args=["reminders"])
    assert "1 sent" in runner.invoke(args=["mail", "send"]).output
    assert "0 reminder(s) queued." in runner.invoke(args=["reminders"]).output
    assert [m.status for m in outbox(kind="reminder")] == ["sent"]


def test_a_moved_event_earns_one_more_reminder(app, make_event, make_fellow, outbox):
    ada = make_fellow()
    event_id = make_event(starts_at=_soon(20))
    _book(app, event_id, ada)
    with app.app_context():
        assert queue_reminders() == 1
        db.session.commit()
        event = db.session.get(Event, event_id)
        event.starts_at += timedelta(hours=2)
        event.ends_at += timedelta(hours=2)
        db.session.commit()
        assert queue_reminders() == 1
        db.session.commit()
        assert queue_reminders() == 0
    assert len(outbox(kind="reminder")) == 2


def test_people_who_turned_reminders_off_or_left_get_none(app, runner, make_event, make_fellow, outbox):
    quiet = make_fellow(notify_reminders=False)
    gone = make_fellow(active=False)
    keen = make_fellow()
    event_id = make_event(starts_at=_soon(12))
    for person in (quiet, gone, keen):
        _book(app, event_id, person)
    runner.invoke(args=["reminders"])
    assert [m.to_address for m in outbox(kind="reminder")] == [keen.email]


def test_a_reminder_queued_by_another_run_is_not_queued_again(app, make_event, make_fellow):
    """The dedupe key is shared by every run (and unique in the database), whoever queued first."""
    from core.mail import queue_email
    from events.reminders import reminder_key

    ada = make_fellow()
    event_id = make_event(starts_at=_soon(20))
    _book(app, event_id, ada)
    with app.app_context():
        booking = db.session.scalar(select(Booking))
        # Another run's reminder, already committed.
        other = queue_email(
            ada.email,
            "Reminder",
            "reminder",
            kind="reminder",
            user_id=ada.id,
            dedupe_key=reminder_key(booking, booking.event),
            user=booking.user,
            event=booking.event,
            booking=booking,
            event_link="http://localhost/e",
        )
        db.session.commit()
        assert other.id
        assert queue_reminders() == 0
        db.session.commit()
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1


def test_preferences_are_shown_saved_and_honoured(app, login, make_event, make_fellow, outbox):
    ada = make_fellow()
    client = login(ada)
    page = client.get("/account").get_data(as_text=True)
    assert 'id="emails"' in page
    assert 'name="notify_reminders" value="y" checked' in page
    assert 'name="notify_writeups" value="y" checked' in page

    response = client.post("/account/email-preferences", data={"notify_writeups": "y"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/account#emails")
    with app.app_context():
        user = db.session.get(User, ada.id)
        assert (user.notify_reminders, user.notify_writeups) == (False, True)
    page = client.get("/account").get_data(as_text=True)
    assert 'name="notify_reminders" value="y" checked' not in page
    assert 'name="notify_writeups" value="y" checked' in page

    # Reminders now skip them; essential emails about their own booking still go.
    event_id = make_event(starts_at=_soon(20))
    assert client.post(f"/events/{event_id}/book", data={}).status_code == 302
    with app.app_context():
        assert queue_reminders() == 0
    assert [m.kind for m in outbox()] == ["booking_confirmed"]

    client.post("/account/email-preferences", data={"notify_reminders": "y", "notify_writeups": "y"})
    with app.app_context():
        assert queue_reminders() == 1
        db.session.commit()
    assert [m.kind for m in outbox()] == ["booking_confirmed", "reminder"]
