"""Every edit form of every object the demo creates opens, and saves unchanged without changing anything.

The edit pages are found from the URL map (every GET+POST rule whose path ends in ``/edit``) and their
concrete addresses by following links from the home page as an organiser, as a person would. A new edit
page is covered without anyone adding it here; one whose object is not reachable by a link fails.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from core.models import Tag
from events.models import Event
from extensions import db
from fellows.demo import DEMO_PASSWORD, ORGANISER_EMAIL
from fellows.models import Organisation, User
from programmes.models import Appointment, Expert, FollowUp, ImpactRecord, PolicyQuestion, VisitProgramme
from tests.html import elements, form_posting_to, forms
from writeups.models import Note

#: For each URL argument of an edit page, the objects every one of which must have a reachable edit page.
EDITABLE = {
    "event_id": lambda: select(Event.id),
    "note_id": lambda: select(Note.id),
    "user_id": lambda: select(User.id).where(User.role == "fellow"),
    "org_id": lambda: select(Organisation.id),
    "tag_id": lambda: select(Tag.id),
    "appointment_id": lambda: select(Appointment.id),
    "question_id": lambda: select(PolicyQuestion.id),
    "expert_id": lambda: select(Expert.id),
    "visit_id": lambda: select(VisitProgramme.id),
    "record_id": lambda: select(ImpactRecord.id),
    "follow_up_id": lambda: select(FollowUp.id),
}
#: Columns that an unchanged save may touch: timestamps and lock counters (an event edit takes the booking lock).
MAY_CHANGE = {"updated_at", "version", "booking_version"}
#: Links not worth following while looking for edit pages: downloads, feeds and images.
NOT_PAGES = (".ics", ".csv", ".atom", "/photo", "/image", "/static/")
MAX_PAGES = 800


def edit_rules(app) -> list:
    return [
        rule for rule in app.url_map.iter_rules() if {"GET", "POST"} <= rule.methods and rule.rule.endswith("/edit")
    ]


def sign_in(app, email: str):
    client = app.test_client()
    (form,) = [form for form in forms(client.get("/login").get_data(as_text=True)) if form["method"] == "post"]
    fields = MultiDict(form["fields"])
    fields["email"], fields["password"] = email, DEMO_PASSWORD
    response = client.post("/login", data=fields)
    assert response.status_code == 302, f"could not sign in as {email}"
    return client


def crawl(client) -> set[str]:
    """Every same-site page path reachable by GET links from the home page (query strings only for paging)."""
    seen, queue = set(), ["/"]
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        assert response.status_code < 500, f"{path} answered {response.status_code}"
        if response.status_code != 200 or not response.mimetype == "text/html":
            continue
        for tag, attrs in elements(response.get_data(as_text=True)):
            href = attrs.get("href") if tag == "a" else None
            if not href or href.startswith(("#", "mailto:")):
                continue
            url = urlsplit(urljoin("http://localhost" + path, href))
            if url.netloc != "localhost" or any(part in url.path for part in NOT_PAGES):
                continue
            query = url.query if url.query.startswith("page=") and "&" not in url.query else ""
            queue.append(url.path + (f"?{query}" if query else ""))
    assert len(seen) < MAX_PAGES, "the crawl stopped early: raise MAX_PAGES"
    return {path.split("?")[0] for path in seen}


def snapshot() -> dict:
    """Every row of every table by primary key, less the columns an unchanged save may touch."""
    rows = {}
    for table in db.metadata.sorted_tables:
        columns = [column for column in table.columns if column.name not in MAY_CHANGE]
        keys = list(table.primary_key.columns) or columns
        result = db.session.execute(select(*keys, *columns)).mappings()
        rows[table.name] = {
            tuple(row[key.name] for key in keys): {column.name: repr(row[column.name]) for column in columns}
            for row in result
        }
    db.session.rollback()
    return rows


def changes(before: dict, after: dict) -> list[str]:
    """What differs, table by table and row by row, in words a failing test can show."""
    found = []
    for name, old_rows in before.items():
        new_rows = after[name]
        found += [f"{name} {key}: removed" for key in old_rows.keys() - new_rows.keys()]
        found += [f"{name} {key}: added {new_rows[key]}" for key in new_rows.keys() - old_rows.keys()]
        for key in old_rows.keys() & new_rows.keys():
            found += [
                f"{name} {key}.{column}: {value} → {new_rows[key][column]}"
                for column, value in old_rows[key].items()
                if new_rows[key][column] != value
            ]
    return found


def resubmit_unchanged(app, client, path: str) -> None:
    """Open the edit page, send its form back as it came, and check nothing but counters changed."""
    page = client.get(path)
    assert page.status_code == 200, f"GET {path} answered {page.status_code}"
    form = form_posting_to(page.get_data(as_text=True), path)
    fields = list(form["fields"]) + ([form["submit"]] if form["submit"] else [])
    with app.app_context():
        before = snapshot()
    response = client.post(path, data=MultiDict(fields), content_type=form["enctype"] or None)
    body = response.get_data(as_text=True)
    assert response.status_code in (302, 303), f"saving {path} unchanged answered {response.status_code}:\n{body}"
    with app.app_context():
        after = snapshot()
    changed = changes(before, after)
    assert not changed, f"saving {path} unchanged changed the database:\n" + "\n".join(changed)


@pytest.fixture
def demo_app(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    app.config["WTF_CSRF_ENABLED"] = True  # the forms must carry their own tokens, as in production
    return app


def test_every_edit_page_of_the_demo_opens_and_saves_unchanged(demo_app):
    app = demo_app
    rules = edit_rules(app)
    assert len(rules) >= 5, [rule.rule for rule in rules]
    organiser = sign_in(app, ORGANISER_EMAIL)
    reachable = crawl(organiser)

    covered: dict[str, list[str]] = {}
    for rule in [rule for rule in rules if rule.arguments]:  # the others edit one's own record: see below
        adapter = app.url_map.bind("localhost")
        paths = sorted(path for path in reachable if _matches(adapter, path, rule.endpoint))
        unknown = set(rule.arguments) - set(EDITABLE)
        assert not unknown, f"{rule.rule}: say in EDITABLE which objects have this edit page ({unknown})"
        with app.app_context():
            for argument in rule.arguments:
                expected = set(db.session.scalars(EDITABLE[argument]()))
                found = {adapter.match(path)[1][argument] for path in paths}
                assert expected <= found, f"no link reaches {rule.rule} for {argument} {sorted(expected - found)}"
        assert paths, f"no link reaches {rule.rule}"
        for path in paths:
            resubmit_unchanged(app, organiser, path)
        covered[rule.endpoint] = paths
    assert {"events.edit", "notes.edit", "fellows_manage.edit_fellow", "fellows_manage.edit_organisation"} <= set(
        covered
    )


def test_every_demo_fellow_can_save_their_own_profile_unchanged(demo_app):
    """Edit pages without an object in their address edit the signed-in person's own record."""
    app = demo_app
    own_pages = [rule.rule for rule in edit_rules(app) if not rule.arguments]
    assert own_pages
    with app.app_context():
        emails = db.session.scalars(
            select(User.email).where(User.role == "fellow", User.password_hash.is_not(None), User.active.is_(True))
        ).all()
    assert len(emails) >= 5
    for email in emails:
        client = sign_in(app, email)
        for path in own_pages:
            resubmit_unchanged(app, client, path)


def _matches(adapter, path: str, endpoint: str) -> bool:
    try:
        return adapter.match(path, method="GET")[0] == endpoint
    except Exception:  # noqa: BLE001 - a path of another rule, or none
        return False
