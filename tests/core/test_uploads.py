"""The three imports (fellows and experts from CSV, events from .ics) share one upload → preview → confirm
(core.uploads): a file cut short is refused with 400 and a reason and saves nothing, a good file still
previews and imports, and confirming the same preview twice imports nothing twice."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder

from core.models import AuditEntry
from events.models import Event
from extensions import db
from fellows.models import User
from programmes.models import Expert
from tests.concurrency import at_the_same_moment


@dataclass
class Import:
    upload: str
    confirm: str
    #: The preview form's hidden field that carries the file back.
    field: str
    filename: str
    model: type
    good: str
    #: The good file cut off part-way through an entry (no line break at its end).
    cut_mid_row: str
    #: The good file cut off inside a quoted value.
    cut_in_quotes: str
    #: What a cut-off file is told (the calendar's own check already said so before core.uploads).
    cut_message: str
    #: How many rows of ``model`` the good file makes (fellows: plus the organiser).
    made: int


FELLOWS_CSV = (
    "name,email,organisation,sector,cohort,interests\r\n"
    "Amelia Hart,amelia@example.org,HM Treasury,Government,2016,AI policy\r\n"
    'Ben Okafor,ben@example.org,"Policy Lab, Cabinet Office",Civil society,2019,Public service reform\r\n'
)
EXPERTS_CSV = (
    "name,email,organisation,location,topics,meeting_mode\r\n"
    "Priya Shah,priya@uni.example,University of Cambridge,Cambridge,AI policy,online\r\n"
    'Tom Ward,tom@gds.example,"Government Digital Service, Cabinet Office",London,Digital government,either\r\n'
)
CALENDAR_ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Partner//EN\r\n"
    "BEGIN:VEVENT\r\nUID:one@partner.example\r\nDTSTART:20270301T120000Z\r\nDTEND:20270301T130000Z\r\n"
    "SUMMARY:First seminar\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:two@partner.example\r\nDTSTART:20270302T120000Z\r\nDTEND:20270302T130000Z\r\n"
    'SUMMARY:Second seminar\r\nLOCATION:"Partner House, 2 Research Road"\r\nEND:VEVENT\r\n'
    "END:VCALENDAR\r\n"
)

IMPORTS = {
    "fellows": Import(
        "/organiser/import",
        "/organiser/import/confirm",
        "content",
        "fellows.csv",
        User,
        FELLOWS_CSV,
        FELLOWS_CSV[: FELLOWS_CSV.index(",Civil society")],
        FELLOWS_CSV[: FELLOWS_CSV.index(", Cabinet")],
        "cut short",
        3,
    ),
    "experts": Import(
        "/organiser/experts/import",
        "/organiser/experts/import/confirm",
        "content",
        "experts.csv",
        Expert,
        EXPERTS_CSV,
        EXPERTS_CSV[: EXPERTS_CSV.index(",London")],
        EXPERTS_CSV[: EXPERTS_CSV.index(", Cabinet")],
        "cut short",
        2,
    ),
    "calendar": Import(
        "/organiser/events/import",
        "/organiser/events/import/confirm",
        "calendar",
        "partner.ics",
        Event,
        CALENDAR_ICS,
        CALENDAR_ICS[: CALENDAR_ICS.index("SUMMARY:Second")],
        CALENDAR_ICS[: CALENDAR_ICS.index(", 2 Research")],
        "cut short",
        2,
    ),
}


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


def _upload(client, kind: Import, text: str):
    return client.post(
        kind.upload,
        data={"file": (io.BytesIO(text.encode()), kind.filename)},
        content_type="multipart/form-data",
    )


def _upload_cut_off(client, kind: Import, text: str):
    """An upload whose connection is cut in the middle of the file: the body is shorter than its Content-Length."""
    environ = EnvironBuilder(
        method="POST", path=kind.upload, data={"file": (io.BytesIO(text.encode()), kind.filename)}
    ).get_environ()
    body = environ["wsgi.input"].read()
    cut = body[: body.index(b"Second" if kind.model is Event else b"Ben" if kind.model is User else b"Tom")]
    return client.post(
        kind.upload,
        input_stream=io.BytesIO(cut),
        content_type=environ["CONTENT_TYPE"],
        environ_overrides={"CONTENT_LENGTH": str(len(body))},
    )


def _confirmation(kind: Import, preview) -> dict[str, str]:
    """The preview page's confirmation form, as the browser would send it."""
    html = preview.get_data(as_text=True)
    form = html[html.index(f'action="{kind.confirm}"') :]
    form = form[: form.index("</form>")]
    fields = {}
    for tag in re.findall(r'<input[^>]*type="hidden"[^>]*>', form):
        fields[re.search(r'name="([^"]+)"', tag).group(1)] = re.search(r'value="([^"]*)"', tag).group(1)
    return fields


@pytest.fixture
def organiser(login, make_organiser):
    return login(make_organiser())


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


@pytest.mark.parametrize("name", IMPORTS)
def test_an_upload_cut_off_in_transit_is_refused_and_saves_nothing(app, organiser, name):
    kind = IMPORTS[name]
    before = _count(app, kind.model)
    response = _upload_cut_off(organiser, kind, kind.good)
    assert response.status_code == 400
    assert "The file did not arrive whole: the upload was cut off before its end. Upload it again." in _text(response)
    assert f'name="{kind.field}"' not in response.get_data(as_text=True)  # no preview, nothing to confirm
    assert _count(app, kind.model) == before


@pytest.mark.parametrize("cut", ["cut_mid_row", "cut_in_quotes"])
@pytest.mark.parametrize("name", IMPORTS)
def test_a_file_cut_short_is_refused_and_saves_nothing(app, organiser, name, cut):
    kind = IMPORTS[name]
    before = _count(app, kind.model)
    response = _upload(organiser, kind, getattr(kind, cut))
    assert response.status_code == 400
    assert kind.cut_message in _text(response) and "Export it again" in _text(response)
    assert f'name="{kind.field}"' not in response.get_data(as_text=True)
    assert _count(app, kind.model) == before


@pytest.mark.parametrize("name", IMPORTS)
def test_a_whole_file_previews_then_imports_once_however_often_it_is_confirmed(app, organiser, name):
    kind = IMPORTS[name]
    before = _count(app, kind.model)
    preview = _upload(organiser, kind, kind.good)
    assert preview.status_code == 200
    assert _count(app, kind.model) == before  # the preview saves nothing
    confirmation = _confirmation(kind, preview)
    assert kind.field in confirmation and "form_key" in confirmation

    first = organiser.post(kind.confirm, data=confirmation)
    assert first.status_code == 302
    assert _count(app, kind.model) == kind.made
    organiser.get(first.headers["Location"])  # the first import's message is read

    # A double click, or Back and Confirm again: nothing is imported twice, and the organiser is told so.
    again = organiser.post(kind.confirm, data=confirmation)
    assert again.status_code == 302 and again.headers["Location"] == first.headers["Location"]
    page = _text(organiser.get(again.headers["Location"]))
    assert "This file has already been imported: confirming it again changed nothing." in page
    assert "Imported: 0 new experts" not in page and "Imported 0 new draft(s)" not in page
    assert _count(app, kind.model) == kind.made
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action.like("%.imported"))) == (
            0 if name == "calendar" else 1
        )


@pytest.mark.parametrize("name", ["fellows", "experts"])
def test_a_new_preview_of_the_same_file_is_a_new_confirmation(app, organiser, name):
    kind = IMPORTS[name]
    organiser.post(kind.confirm, data=_confirmation(kind, _upload(organiser, kind, kind.good)))
    again = organiser.post(kind.confirm, data=_confirmation(kind, _upload(organiser, kind, kind.good)))
    assert again.status_code == 302
    assert "already been imported" not in _text(organiser.get(again.headers["Location"]))
    assert _count(app, kind.model) == kind.made  # updated, not doubled


def test_the_done_page_of_a_repeated_fellows_confirmation_still_invites_the_first_imports_fellows(app, organiser):
    kind = IMPORTS["fellows"]
    confirmation = _confirmation(kind, _upload(organiser, kind, kind.good))
    organiser.post(kind.confirm, data=confirmation)
    organiser.post(kind.confirm, data=confirmation)
    page = _text(organiser.get("/organiser/import/done"))
    assert "2 new fellows added, 0 existing fellows updated" in page
    assert "Send invitations to the 2 new fellows" in page


@pytest.mark.parametrize("name", IMPORTS)
def test_a_confirmation_cut_short_is_refused_and_saves_nothing(app, organiser, name):
    kind = IMPORTS[name]
    before = _count(app, kind.model)
    confirmation = _confirmation(kind, _upload(organiser, kind, kind.good))
    confirmation[kind.field] = confirmation[kind.field][: len(confirmation[kind.field]) // 2]
    response = organiser.post(kind.confirm, data=confirmation)
    assert response.status_code == 400
    assert "The checked file did not come back intact. Upload it again." in _text(response)
    assert _count(app, kind.model) == before


@pytest.mark.parametrize("name", IMPORTS)
def test_one_confirmation_sent_twice_at_the_same_moment_imports_once(app, organiser, name):
    kind = IMPORTS[name]
    confirmation = _confirmation(kind, _upload(organiser, kind, kind.good))

    statuses = at_the_same_moment([lambda: organiser.post(kind.confirm, data=confirmation)] * 2)

    assert statuses == [302, 302]
    assert _count(app, kind.model) == kind.made
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action.like("%.imported"))) == (
            0 if name == "calendar" else 1
        )
