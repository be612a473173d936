"""The audit log (issue 13): destructive and privacy-relevant actions are recorded — who, what, when —
in the same transaction as the action, and organisers (only) can read them at /organiser/audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.models import AuditEntry
from events.models import Booking
from extensions import db
from tests.conftest import PASSWORD
from tests.events_helpers import text_of


def _entries(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(e.action, e.actor_name, e.summary) for e in rows]


def test_organiser_actions_are_recorded_with_who_and_what(app, make_fellow, make_organiser, make_event, login):
    organiser = make_organiser(name="Olive Organiser")
    fellow = make_fellow(name="Ada Lovelace", email="ada@example.org")
    event_id = make_event(title="Digital lunch", capacity=5)
    login(fellow).post(f"/events/{event_id}/book", data={"dietary_requirements": "coeliac"})
    client = login(organiser)
    with app.app_context():
        booking_id = db.session.scalar(select(Booking.id).where(Booking.event_id == event_id))

    assert client.get(f"/organiser/events/{event_id}/attendees.csv").status_code == 200
    assert client.post(f"/organiser/bookings/{booking_id}/remove").status_code == 302
    assert client.post(f"/organiser/fellows/{fellow.id}/deactivate").status_code == 302
    assert client.post(f"/organiser/events/{event_id}/cancel", data={"reason": "Speaker ill"}).status_code == 302

    assert _entries(app) == [
        ("attendees.exported", "Olive Organiser", "1 booking of Digital lunch"),
        ("booking.removed", "Olive Organiser", "Ada Lovelace: Digital lunch"),
        ("fellow.deactivated", "Olive Organiser", "Ada Lovelace (ada@example.org)"),
        ("event.cancelled", "Olive Organiser", "Digital lunch: Speaker ill"),
    ]
    page = text_of(client.get("/organiser/audit"))
    assert "Booking removed by an organiser" in page and "Ada Lovelace: Digital lunch" in page
    assert page.index("Digital lunch: Speaker ill") < page.index("1 booking of Digital lunch")  # newest first
    only = text_of(client.get("/organiser/audit?action=fellow.deactivated"))
    assert "Ada Lovelace (ada@example.org)" in only and "Digital lunch: Speaker ill" not in only


def test_a_refused_action_leaves_no_entry(app, make_fellow, make_organiser, make_event, login):
    organiser = make_organiser()
    event_id = make_event(state="draft")
    client = login(organiser)
    response = client.post(f"/organiser/events/{event_id}/cancel", data={"reason": "x"})
    assert response.status_code == 409  # a draft is deleted, not cancelled
    assert _entries(app) == []


def test_only_organisers_read_the_audit_log(app, make_fellow, make_organiser, login, client):
    assert client.get("/organiser/audit").status_code == 302
    assert login(make_fellow()).get("/organiser/audit").status_code == 403
    assert login(make_organiser()).get("/organiser/audit").status_code == 200


def test_a_deleted_account_is_recorded_without_naming_anyone(app, make_fellow, login):
    response = login(make_fellow(name="Brief Member", email="brief@example.org")).post(
        "/account/delete", data={"delete-password": PASSWORD, "delete-confirm": "y"}
    )
    assert response.status_code == 302

    entries = _entries(app)
    assert entries[-1] == ("account.deleted", "the account's owner", "A fellow deleted their account")
    assert not any("Brief Member" in str(entry) or "brief@example.org" in str(entry) for entry in entries)


def test_an_organiser_who_deletes_their_account_is_no_longer_named_in_the_log(app, make_fellow, make_organiser, login):
    organiser = make_organiser(name="Temporary Organiser")
    fellow = make_fellow(name="Ada Lovelace")
    login(organiser).post(f"/organiser/fellows/{fellow.id}/deactivate")
    login(organiser).post("/account/delete", data={"delete-password": PASSWORD, "delete-confirm": "y"})
    [deactivated, deleted] = _entries(app)
    assert deactivated[:2] == ("fellow.deactivated", "a deleted account")
    assert deleted[0] == "account.deleted"


def test_a_purge_that_removes_something_is_recorded(app, runner, make_event, make_fellow):
    past = datetime.now(UTC).replace(microsecond=0) - timedelta(days=60)
    event_id = make_event(starts_at=past)
    fellow = make_fellow()
    with app.app_context():
        db.session.add(Booking(event_id=event_id, user_id=fellow.id, state="confirmed", access_needs="wheelchair"))
        db.session.commit()
    assert runner.invoke(args=["purge"]).exit_code == 0
    assert runner.invoke(args=["purge"]).exit_code == 0  # nothing left to remove: no second entry
    [(action, actor, summary)] = _entries(app)
    assert (action, actor) == ("purge.run", "command line") and "removed" in summary


def test_every_recorded_action_has_a_label_its_area_registered(app, login, make_organiser):
    """The audit log names every action in words, and its filter offers each: an area that records a new
    action registers its label (core.registry.audit_labels), or the log would show a bare key."""
    import ast
    from pathlib import Path

    from core import audit

    recorded = set()
    for path in Path(".").glob("[cefpw]*/**/*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "audit.record" and len(node.args) >= 2:
                if isinstance(node.args[1], ast.Constant):
                    recorded.add(node.args[1].value)
    assert len(recorded) > 20
    assert sorted(recorded - audit.actions().keys()) == []
    page = login(make_organiser()).get("/organiser/audit").get_data(as_text=True)
    assert "Fellow deactivated" in page and "Review link withdrawn" in page and "Experts imported from CSV" in page
