"""Availability from calendars (issue 25, item 7), through the pages: an expert uploads an .ics file or
gives a free/busy address (fetched from a real server on 127.0.0.1), sees the busy half-days, and only
confirming takes them off the answer; an organiser does the same for them, audited; bad input is refused."""

from __future__ import annotations

import http.server
import io
import re
import threading
import time as clock
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core.lib.halfday import HalfDay
from core.models import AuditEntry
from extensions import db
from programmes.models import ExpertInvitation, VisitProgramme
from tests.events_helpers import text_of
from tests.programmes.test_availability_import import calendar, event

TOKEN = "expert-private-link-token-0123456789abcdef"

# The journeys: an expert through their private link, an organiser for them, and a free/busy address.


def _monday_in(weeks: int) -> date:
    today = date.today()
    return today + timedelta(days=7 * weeks - today.weekday())


@pytest.fixture
def world(app, make_fellow, make_organiser, make_expert, login):
    """A visit three weeks ahead (Monday to Friday) and Priya, invited, who opened her link in ``client``."""
    ada = make_fellow(name="Ada Lovelace")
    expert_id = make_expert("Priya Shah", email="priya@uni.example")
    monday = _monday_in(3)
    with app.app_context():
        visit = VisitProgramme(fellow_id=ada.id, starts_on=monday, ends_on=monday + timedelta(days=4))
        db.session.add(visit)
        db.session.flush()
        invitation = ExpertInvitation(
            programme_id=visit.id, expert_id=expert_id, status="invited", token_hash=ExpertInvitation.hash(TOKEN)
        )
        db.session.add(invitation)
        db.session.commit()
        ids = {"visit": visit.id, "invitation": invitation.id}
    return {**ids, "monday": monday, "organiser": login(make_organiser())}


def _opened(client):
    assert client.get(f"/expert/{TOKEN}", follow_redirects=True).status_code == 200
    return client


def _answer(app, world) -> ExpertInvitation:
    with app.app_context():
        invitation = db.session.get(ExpertInvitation, world["invitation"])
        db.session.expunge(invitation)
        return invitation


def _accept_all(app, client, world) -> list[str]:
    with app.app_context():
        slots = [str(half) for half in db.session.get(VisitProgramme, world["visit"]).half_days()]
    response = client.post(
        f"/expert/invitations/{world['invitation']}", data={"decision": "accept", "available": slots}
    )
    assert response.status_code == 302
    return slots


def _busy_tuesday(world) -> bytes:
    """Tuesday 09:00–11:00 (floating: read in the configured zone) and Thursday all day."""
    tuesday, thursday = world["monday"] + timedelta(days=1), world["monday"] + timedelta(days=3)
    return calendar(
        event("t", f"DTSTART:{tuesday:%Y%m%d}T090000", f"DTEND:{tuesday:%Y%m%d}T110000"),
        event("th", f"DTSTART;VALUE=DATE:{thursday:%Y%m%d}"),
    ).encode()


def _upload(client, url: str, data: bytes, name: str = "me.ics"):
    return client.post(url, data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def _hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}"[^>]*value="([^"]*)"', page).group(1)


def _ticked(page: str, name: str) -> list[str]:
    """The values of the ticked inputs called ``name``."""
    inputs = re.findall(rf'<input[^>]*name="{name}"[^>]*>', page)
    return [re.search(r'value="([^"]*)"', tag).group(1) for tag in inputs if " checked" in tag]


def test_an_expert_uploads_previews_and_confirms_and_only_confirming_changes_the_answer(app, world, client):
    slots = _accept_all(app, _opened(client), world)
    tuesday = world["monday"] + timedelta(days=1)
    shown = _upload(client, f"/expert/invitations/{world['invitation']}/calendar", _busy_tuesday(world))
    page = text_of(shown)
    assert shown.status_code == 200 and "These half-days look busy in your calendar" in page
    assert f"{tuesday:%a} {tuesday.day} am (busy 09:00–11:00)" in page and "busy all day" in page
    assert "Private appointment" not in page
    assert _ticked(shown.get_data(as_text=True), "keep") == []  # busy half-days start unticked
    assert _answer(app, world).available == slots  # the preview changed nothing
    body = shown.get_data(as_text=True)
    thursday_pm = str(HalfDay(world["monday"] + timedelta(days=3), "pm"))
    confirm = {"calendar": _hidden(body, "calendar"), "form_key": _hidden(body, "form_key"), "keep": [thursday_pm]}
    done = client.post(f"/expert/invitations/{world['invitation']}/calendar/confirm", data=confirm)
    assert done.status_code == 302
    taken = {f"{tuesday} am", str(HalfDay(world["monday"] + timedelta(days=3), "am"))}
    assert _answer(app, world).available == [slot for slot in slots if slot not in taken]
    again = client.post(f"/expert/invitations/{world['invitation']}/calendar/confirm", data=confirm)
    assert again.status_code == 302 and _answer(app, world).available == [s for s in slots if s not in taken]


def test_before_answering_the_import_ticks_the_free_half_days_without_saving(app, world, client):
    _opened(client)
    shown = _upload(client, f"/expert/invitations/{world['invitation']}/calendar", _busy_tuesday(world))
    body = shown.get_data(as_text=True)
    confirmed = client.post(
        f"/expert/invitations/{world['invitation']}/calendar/confirm",
        data={"calendar": _hidden(body, "calendar"), "form_key": _hidden(body, "form_key")},
    )
    page = confirmed.get_data(as_text=True)
    assert confirmed.status_code == 200 and "unticked below" in page
    busy = {f"{world['monday'] + timedelta(days=1)} am", f"{world['monday'] + timedelta(days=3)} am"}
    busy.add(f"{world['monday'] + timedelta(days=3)} pm")
    with app.app_context():
        every = [str(half) for half in db.session.get(VisitProgramme, world["visit"]).half_days()]
    assert _ticked(page, "available") == [slot for slot in every if slot not in busy]
    assert _ticked(page, "decision") == ["accept"]
    invitation = _answer(app, world)
    assert invitation.status == "invited" and invitation.available == []


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"name,email\nAda,ada@example.org\n", "people.ics", "not an .ics calendar"),
        (calendar().encode(), "empty.ics", "The calendar is empty"),
        (b"BEGIN:VCALENDAR\r\n", "cut.ics", "cut short"),
        (b"%PDF-1.4", "notes.pdf", "Upload an .ics calendar file"),
    ],
)
def test_bad_files_are_refused_on_the_expert_page_and_nothing_is_saved(app, world, client, data, name, message):
    slots = _accept_all(app, _opened(client), world)
    refused = _upload(client, f"/expert/invitations/{world['invitation']}/calendar", data, name)
    assert refused.status_code == 400 and message in text_of(refused)
    assert _answer(app, world).available == slots
    nothing = client.post(f"/expert/invitations/{world['invitation']}/calendar", data={"url": ""})
    assert nothing.status_code == 400 and "Upload an .ics file or give the address" in text_of(nothing)
    forged = client.post(f"/expert/invitations/{world['invitation']}/calendar/confirm", data={"calendar": "x!"})
    assert forged.status_code == 400 and _answer(app, world).available == slots


def test_an_organiser_imports_for_an_accepted_expert_and_it_is_audited(app, world, client):
    organiser = world["organiser"]
    url = f"/organiser/expert-invitations/{world['invitation']}/calendar"
    assert organiser.post(url, data={}).status_code == 409  # not accepted yet: nothing to change
    slots = _accept_all(app, _opened(client), world)
    assert "Import busy times" in text_of(organiser.get(f"/organiser/visits/{world['visit']}"))
    assert organiser.get(url).status_code == 200
    shown = _upload(organiser, url, _busy_tuesday(world))
    assert shown.status_code == 200 and "busy in their calendar" in text_of(shown)
    assert _answer(app, world).available == slots
    body = shown.get_data(as_text=True)
    done = organiser.post(
        f"{url}/confirm", data={"calendar": _hidden(body, "calendar"), "form_key": _hidden(body, "form_key")}
    )
    assert done.status_code == 302 and "/organiser/visits/" in done.headers["Location"]
    assert len(_answer(app, world).available) == len(slots) - 3
    with app.app_context():
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "expert.busy_imported")).all()
        assert entry.summary.startswith("3 offered half-days taken off") and "Priya" not in entry.summary
    assert client.get(url).status_code in (302, 401, 403)  # not for the expert's browser


class _Calendars(http.server.BaseHTTPRequestHandler):
    """The tests' free/busy server: /busy.ics, /slow, /away (to plain http elsewhere), /big, /page."""

    body = b""

    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path == "/slow":
            clock.sleep(1.5)
        if self.path == "/away":
            self.send_response(302)
            self.send_header("Location", "http://calendar.example.org/busy.ics")
            self.end_headers()
            return
        body = {"/big": b"X" * (1024 * 1024 + 10), "/page": b"<html>Sign in</html>"}.get(self.path, self.body)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the app gave up waiting, as it should
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def freebusy_server(app, world):
    handler = type("Handler", (_Calendars,), {"body": _busy_tuesday(world)})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_a_free_busy_address_is_fetched_from_a_real_server(app, world, client, freebusy_server):
    slots = _accept_all(app, _opened(client), world)
    url = f"/expert/invitations/{world['invitation']}/calendar"
    refused = client.post(url, data={"url": f"{freebusy_server}/busy.ics"})  # the flag is off: http refused
    assert refused.status_code == 400 and "must start with https://" in text_of(refused)
    app.config["FREEBUSY_ALLOW_LOOPBACK"] = True
    shown = client.post(url, data={"url": f"{freebusy_server}/busy.ics"})
    assert shown.status_code == 200 and "(busy 09:00–11:00)" in text_of(shown)
    assert _answer(app, world).available == slots
    app.config["FREEBUSY_TIMEOUT_SECONDS"] = 0.5
    for path, message in (
        ("/slow", "did not answer within 0.5 seconds"),
        ("/away", "must start with https://"),
        ("/big", "larger than 1024 KB"),
        ("/page", "not an .ics calendar"),
    ):
        response = client.post(url, data={"url": freebusy_server + path})
        assert response.status_code == 400 and message in text_of(response), path
    assert _answer(app, world).available == slots
