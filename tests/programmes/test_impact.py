"""Issue 26 item 2, the impact record: per fellow, what changed in her policy work, the evidence, the
meetings it drew on and quotes kept only with the speaker's consent; a page for the fellow and organisers,
a PDF impact story, every record as CSV for organisers, in the data download and erased with the
account."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from extensions import db
from programmes.models import ImpactQuote, ImpactRecord
from tests.events_helpers import text_of
from tests.programmes_helpers import visit_with_meetings


def _today():
    return datetime.now(UTC).astimezone(ZoneInfo("Europe/London")).date()


@pytest.fixture
def world(app, make_fellow, make_organiser, make_expert, login):
    """Ada met Priya Shah last week and has a meeting with Tom Ward next week; Grace is another fellow."""
    ada = make_fellow(name="Ada Lovelace", email="ada@example.org")
    grace = make_fellow(name="Grace Hopper", email="grace@example.org")
    experts = [make_expert(name) for name in ("Priya Shah", "Tom Ward")]
    now = datetime.now(UTC).replace(microsecond=0)
    made = visit_with_meetings(app, ada.id, experts, [now - timedelta(days=7), now + timedelta(days=7)])
    ids = {"ada_id": ada.id, "past": made["meetings"][0], "coming": made["meetings"][1]}
    return ids | {"ada": login(ada), "grace": login(grace), "organiser": login(make_organiser())}


def _record(client, fellow_id, **fields):
    data = {
        "title": "Casework triage guidance rewritten",
        "what_changed": "The department's triage guidance now sends hard cases to a person.",
        "evidence": "Guidance v3, published March; the deputy director can confirm.",
        "happened_on": (_today() - timedelta(days=2)).isoformat(),
    } | fields
    return client.post(f"/programme/fellows/{fellow_id}/impact", data=data)


def _records(app):
    with app.app_context():
        return [
            (r.title, r.evidence, [m.id for m in r.meetings], [q.speaker for q in r.quotes])
            for r in db.session.scalars(select(ImpactRecord).order_by(ImpactRecord.id))
        ]


def test_the_fellow_records_a_change_with_its_meetings_and_a_quote_given_with_consent(app, world):
    ada, fellow_id = world["ada"], world["ada_id"]
    page = text_of(ada.get(f"/programme/fellows/{fellow_id}/impact"))
    assert "No impact recorded yet" in page
    # Only meetings that have taken place can be linked.
    assert "Priya Shah" in page and "Tom Ward" not in page
    assert _record(ada, fellow_id, meetings=[str(world["past"])]).status_code == 302
    assert _records(app) == [
        (
            "Casework triage guidance rewritten",
            "Guidance v3, published March; the deputy director can confirm.",
            [world["past"]],
            [],
        )
    ]
    with app.app_context():
        record_id = db.session.scalar(select(ImpactRecord.id))
    quote = {
        f"q{record_id}-text": "The fellow's meetings changed how we triage.",
        f"q{record_id}-speaker": "Deputy Director, Casework",
        f"q{record_id}-consent": "y",
        f"q{record_id}-consent_on": _today().isoformat(),
    }
    assert ada.post(f"/programme/impact/{record_id}/quotes", data=quote).status_code == 302
    page = text_of(ada.get(f"/programme/fellows/{fellow_id}/impact"))
    assert "The fellow's meetings changed how we triage." in page
    assert f"Deputy Director, Casework (agreed to be quoted {_today():%-d %B %Y})" in page
    assert "Priya Shah" in page
    # Edited: the meeting unlinked, the evidence cleared.
    edit = ada.get(f"/programme/impact/{record_id}/edit")
    assert edit.status_code == 200 and "Casework triage guidance rewritten" in edit.get_data(as_text=True)
    saved = ada.post(
        f"/programme/impact/{record_id}/edit",
        data={"title": "Triage guidance rewritten", "what_changed": "Hard cases go to a person.", "evidence": ""},
    )
    assert saved.status_code == 302
    assert _records(app) == [("Triage guidance rewritten", None, [], ["Deputy Director, Casework"])]
    # Consent withdrawn: the quote goes.
    with app.app_context():
        quote_id = db.session.scalar(select(ImpactQuote.id))
    ada.post(f"/programme/impact-quotes/{quote_id}/delete")
    assert _records(app)[0][3] == []
    ada.post(f"/programme/impact/{record_id}/delete")
    assert _records(app) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": " "}, "Give the change a short title"),
        ({"what_changed": ""}, "Say what changed"),
        ({"happened_on": "2030-13-01"}, "Not a valid date value"),
        ({"happened_on": "2099-01-01"}, "cannot have happened in the future"),
        ({"meetings": ["999999"]}, "is not a valid choice"),
        ({"title": "x" * 201}, "200"),
    ],
)
def test_an_impact_record_that_does_not_validate_says_why_and_saves_nothing(app, world, fields, message):
    response = _record(world["ada"], world["ada_id"], **fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "There is a problem" in page and message in page
    assert _records(app) == []


def test_a_meeting_still_to_come_cannot_be_linked(app, world):
    response = _record(world["ada"], world["ada_id"], meetings=[str(world["coming"])])
    assert response.status_code == 400 and _records(app) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"consent": None}, "only with the speaker&#39;s consent"),
        ({"consent_on": ""}, "Enter the day they agreed"),
        ({"consent_on": "2099-01-01"}, "cannot be in the future"),
        ({"speaker": ""}, "Say who said it"),
    ],
)
def test_a_quote_without_consent_or_a_speaker_is_refused(app, world, change, message):
    _record(world["ada"], world["ada_id"])
    with app.app_context():
        record_id = db.session.scalar(select(ImpactRecord.id))
    data = {"text": "It helped.", "speaker": "A director", "consent": "y", "consent_on": _today().isoformat()} | change
    data = {f"q{record_id}-{name}": value for name, value in data.items() if value is not None}
    response = world["ada"].post(f"/programme/impact/{record_id}/quotes", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page
    assert "It helped." in page  # what was typed is kept
    with app.app_context():
        assert db.session.scalar(select(func.count(ImpactQuote.id))) == 0


def test_another_fellow_sees_nothing_and_changes_nothing(app, world, client):
    _record(world["ada"], world["ada_id"])
    with app.app_context():
        record_id = db.session.scalar(select(ImpactRecord.id))
    grace = world["grace"]
    assert grace.get(f"/programme/fellows/{world['ada_id']}/impact").status_code == 404
    assert grace.get(f"/programme/fellows/{world['ada_id']}/impact.pdf").status_code == 404
    assert grace.post(f"/programme/impact/{record_id}/delete").status_code == 404
    assert grace.get("/organiser/impact.csv").status_code == 403
    assert client.get(f"/programme/fellows/{world['ada_id']}/impact").status_code == 302  # to sign in
    assert len(_records(app)) == 1


def test_the_impact_story_pdf_and_the_organisers_csv(app, world):
    organiser = world["organiser"]
    _record(organiser, world["ada_id"], meetings=[str(world["past"])])
    _record(organiser, world["ada_id"], title='=HYPERLINK("http://x")', happened_on="", evidence="")
    pdf = world["ada"].get(f"/programme/fellows/{world['ada_id']}/impact.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Cache-Control"] == "private, no-store"
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Impact story: Ada Lovelace" in text
    assert "Details of the impact" in text and "Underpinning engagement" in text
    assert "a meeting with Priya Shah" in text and "Guidance v3, published March" in text

    response = organiser.get("/organiser/impact.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Fellow", "Cohort", "Title", "What changed"]
    assert rows[1][0] == "Ada Lovelace" and rows[1][2] == "Casework triage guidance rewritten"
    assert re.match(r"Priya Shah \(\d{4}-\d{2}-\d{2}\)", rows[1][6])
    assert rows[2][2].startswith("'=")  # a formula is defused
    page = text_of(organiser.get(f"/programme/fellows/{world['ada_id']}/impact"))
    assert "Every fellow's impact records as CSV" in page


def test_impact_is_in_the_data_download_and_goes_with_the_account(app, world):
    from tests.conftest import PASSWORD

    _record(world["ada"], world["ada_id"], meetings=[str(world["past"])])
    data = world["ada"].post("/account/export").get_json()
    [record] = data["impact"]
    assert record["title"] == "Casework triage guidance rewritten" and record["meetings"][0].startswith("Priya Shah")
    deleted = world["ada"].post("/account/delete", data={"delete-password": PASSWORD, "delete-confirm": "y"})
    assert deleted.status_code == 302
    assert _records(app) == []


def test_the_demo_fellows_impact_shows_edits_and_downloads(app, runner):
    from fellows.demo import DEMO_PASSWORD, ORGANISER_EMAIL
    from programmes.demo import FELLOW_EMAIL

    assert runner.invoke(args=["demo"]).exit_code == 0
    amelia = app.test_client()
    assert amelia.post("/login", data={"email": FELLOW_EMAIL, "password": DEMO_PASSWORD}).status_code == 302
    with app.app_context():
        record = db.session.scalar(select(ImpactRecord))
        fellow_id, record_id, linked = record.fellow_id, record.id, [m.id for m in record.meetings]
    programme = text_of(amelia.get(f"/programme/fellows/{fellow_id}"))
    assert "Impact: what changed because of the fellowship" in programme
    page = text_of(amelia.get(f"/programme/fellows/{fellow_id}/impact"))
    assert "Assisted-digital support written into the service standard" in page
    assert "Deputy Director, Digital Services (agreed to be quoted" in page
    # The demo record's edit form opens and saves unchanged.
    form = amelia.get(f"/programme/impact/{record_id}/edit").get_data(as_text=True)
    assert form.count("checked") >= len(linked) == 2
    values = {
        name: re.search(rf'name="{name}"[^>]*value="([^"]*)"', form).group(1) for name in ("title", "happened_on")
    }
    texts = {
        name: re.search(rf'name="{name}"[^>]*>\r?\n?([^<]*)</textarea>', form).group(1).replace("&#39;", "'")
        for name in ("what_changed", "evidence")
    }
    saved = amelia.post(
        f"/programme/impact/{record_id}/edit", data=values | texts | {"meetings": [str(m) for m in linked]}
    )
    assert saved.status_code == 302
    with app.app_context():
        again = db.session.get(ImpactRecord, record_id)
        assert again.title == values["title"] and [m.id for m in again.meetings] == linked
        assert again.what_changed == texts["what_changed"]
    assert amelia.get(f"/programme/fellows/{fellow_id}/impact.pdf").status_code == 200
    organiser = app.test_client()
    organiser.post("/login", data={"email": ORGANISER_EMAIL, "password": DEMO_PASSWORD})
    csv_text = organiser.get("/organiser/impact.csv").data.decode("utf-8-sig")
    assert "Assisted-digital support written into the service standard" in csv_text


# The experts who took part see the stories that draw on their meetings, and may ask not to be named.

PRIYA_TOKEN = "priya-private-link-token-0123456789abcdef"
TOM_TOKEN = "tom-private-link-token-0123456789abcdef01"


def _expert_links(app, world, client_factory):
    """Private links for Priya (met Ada last week) and Tom (meets her next week), each opened in a browser."""
    from programmes.models import ExpertInvitation, Meeting

    with app.app_context():
        for meeting_id, token in ((world["past"], PRIYA_TOKEN), (world["coming"], TOM_TOKEN)):
            invitation = db.session.get(ExpertInvitation, db.session.get(Meeting, meeting_id).invitation_id)
            invitation.token_hash = ExpertInvitation.hash(token)
        db.session.commit()
    links = {}
    for name, token in (("priya", PRIYA_TOKEN), ("tom", TOM_TOKEN)):
        client = client_factory()
        opened = client.get(f"/expert/{token}", follow_redirects=True)
        assert opened.status_code == 200
        links[name] = (client, opened.request.path)
    return links


def _story_pdf(world) -> str:
    pdf = world["ada"].get(f"/programme/fellows/{world['ada_id']}/impact.pdf")
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf.data)).pages)


def test_an_expert_sees_the_story_that_names_them_and_can_ask_not_to_be_named(app, world):
    _record(world["ada"], world["ada_id"], meetings=[str(world["past"])])
    with app.app_context():
        record_id = db.session.scalar(select(ImpactRecord.id))
    links = _expert_links(app, world, app.test_client)
    priya, priya_page = links["priya"]

    page = text_of(priya.get(priya_page))
    assert "Impact stories that name you" in page and "Casework triage guidance rewritten" in page
    assert "Ada Lovelace" in page and "This story names you." in page
    assert "Priya Shah" in _story_pdf(world)

    withhold = f"{priya_page}/stories/{record_id}/withhold"
    assert priya.get(withhold).status_code == 405
    done = priya.post(withhold)
    assert done.status_code == 302 and done.headers["Location"].endswith("#stories")
    assert priya.post(withhold).status_code == 302  # a second click changes nothing
    page = text_of(priya.get(priya_page))
    assert "Not named You asked not to be named" in page and "This story names you." not in page

    story = _story_pdf(world)
    assert "Priya Shah" not in story and "a meeting with an expert" in story
    csv_text = world["organiser"].get("/organiser/impact.csv").data.decode("utf-8-sig")
    assert "an expert (who asked not to be named)" in csv_text and "Priya Shah" not in csv_text
    organisers_view = text_of(world["organiser"].get(f"/programme/fellows/{world['ada_id']}/impact"))
    assert "Priya Shah Not named in the story" in organisers_view
    with app.app_context():
        from core.models import AuditEntry

        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("impact.%"))).all()
    assert actions == ["impact.name_withheld"]

    assert priya.post(f"{priya_page}/stories/{record_id}/name").status_code == 302
    assert "Priya Shah" in _story_pdf(world)
    assert "This story names you." in text_of(priya.get(priya_page))


def test_an_expert_cannot_touch_a_story_that_does_not_draw_on_their_meeting(app, world):
    _record(world["ada"], world["ada_id"], meetings=[str(world["past"])])
    with app.app_context():
        record_id = db.session.scalar(select(ImpactRecord.id))
    tom, tom_page = _expert_links(app, world, app.test_client)["tom"]
    assert "Impact stories that name you" not in text_of(tom.get(tom_page))
    assert tom.post(f"{tom_page}/stories/{record_id}/withhold").status_code == 404
    assert tom.post(f"{tom_page}/stories/{record_id + 99}/withhold").status_code == 404
    assert app.test_client().post(f"/expert/invitations/1/stories/{record_id}/withhold").status_code == 404
    assert "Priya Shah" in _story_pdf(world)  # unchanged


def test_an_expert_who_leaves_the_network_takes_their_choice_with_them(app, world):
    from programmes.models import ImpactWithheld

    _record(world["ada"], world["ada_id"], meetings=[str(world["past"])])
    with app.app_context():
        record_id = db.session.scalar(select(ImpactRecord.id))
    priya, priya_page = _expert_links(app, world, app.test_client)["priya"]
    assert priya.post(f"{priya_page}/stories/{record_id}/withhold").status_code == 302
    assert priya.post(f"{priya_page}/remove", data={"confirm": "y"}).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ImpactWithheld)) == 0
    assert "Priya Shah" not in _story_pdf(world)  # erased: the story keeps "an expert"
