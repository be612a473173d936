"""Forms fuzzed with Hypothesis (issue 13): whatever arrives, the answer is never a 5xx, and a refused
submission saves nothing at all.

Each form is read from its page as a browser sees it; Hypothesis then changes its fields: huge and odd
Unicode strings, control characters, missing and repeated fields, wrong types, numbers out of range,
dates at the ends of the calendar and the London clock changes (the hour skipped in March, the hour
repeated in October). After a 4xx every table is exactly as it was; after an accepted save, the page it
leads to opens. The number of examples is bounded by the Hypothesis profile (tests/conftest.py).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from extensions import db
from tests.html import forms

CONTROL = "".join(chr(c) for c in range(1, 32)) + "\x7f\u200b\u200e\u202e\ufeff"
ODD_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=300),
    st.text(alphabet=CONTROL + "ab ", min_size=1, max_size=30),
    st.sampled_from(["", " ", "\x00", "%00", "'; DROP TABLE users; --", "<script>x</script>", "Ω" * 5000]),
    st.integers(min_value=1, max_value=60_000).map(lambda n: "x" * n),
)
NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["-1", "0", "1e309", "NaN", "inf", "1.5", "0x10", "٣", "²", "2147483648", "9" * 30]),
)
DATES = st.sampled_from(
    [
        "0001-01-01T00:00",
        "9999-12-31T23:59",
        "2031-03-30T01:30",  # skipped in London: clocks go forward at 01:00
        "2031-10-26T01:30",  # happens twice in London
        "2031-02-30T12:00",
        "2031-13-01T12:00",
        "2031-06-01",
        "12:30",
        "2031-06-01T25:00",
        "tomorrow",
    ]
)


def _values_for(name: str):
    lowered = name.lower()
    if any(word in lowered for word in ("_at", "date", "opens", "closes", "starts", "ends")):
        return st.one_of(DATES, ODD_TEXT)
    if any(word in lowered for word in ("capacity", "cohort", "_id", "number", "position")):
        return st.one_of(NUMBERS, ODD_TEXT)
    return ODD_TEXT


@st.composite
def changed_fields(draw, fields: list[tuple[str, str]]):
    """The form's fields, each kept, changed, dropped or sent twice; sometimes an unknown one added."""
    sent = []
    for name, value in fields:
        if name == "csrf_token":
            sent.append((name, value))
            continue
        choice = draw(st.sampled_from(["keep", "change", "change", "drop", "repeat"]))
        if choice == "keep":
            sent.append((name, value))
        elif choice == "change":
            sent.append((name, draw(_values_for(name))))
        elif choice == "repeat":
            sent += [(name, draw(_values_for(name))), (name, draw(_values_for(name)))]
    if draw(st.booleans()):
        sent.append((draw(st.sampled_from(["id", "role", "user_id", "state"])), draw(ODD_TEXT)))
    return sent


def _fingerprint() -> str:
    """A digest of every row of every table: equal digests mean nothing was saved."""
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        for row in db.session.execute(select(table).order_by(*order)):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def _form_for(html: str, page: str, action: str) -> list[tuple[str, str]]:
    for form in forms(html):
        target = urlsplit(urljoin("http://localhost" + page, form["action"] or page)).path
        if form["method"] == "post" and target == action:
            return form["fields"] + ([form["submit"]] if form["submit"] else [])
    raise AssertionError(f"no form posting to {action} on {page}")


@pytest.fixture
def places(app, make_fellow, make_organiser, make_event, make_expert, login):
    """Signed-in clients, and for each form a function giving (who, page showing it, where it posts).

    Forms about an event get a new event for every example: an accepted cancellation or booking must
    not change what the next example finds."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=20)

    def upcoming() -> int:
        return make_event(capacity=5, starts_at=start)

    def past() -> int:
        return make_event(starts_at=datetime.now(UTC) - timedelta(days=5))

    clients = {"anonymous": app.test_client(), "fellow": login(make_fellow()), "organiser": login(make_organiser())}

    def same(path):
        return lambda: (path, path)

    def for_event(template, post_template=None, new_event=upcoming):
        def make():
            event_id = new_event()
            return template.format(event_id), (post_template or template).format(event_id)

        return make

    visitor = make_fellow()

    def expert_link():
        """A new expert invited to a new visit: the private link's page, which posts to itself."""
        from programmes.models import Expert, ExpertInvitation, VisitProgramme

        token = f"fuzz-{datetime.now(UTC).timestamp()}-{make_expert()}"
        with app.app_context():
            expert = db.session.scalars(select(Expert).order_by(Expert.id.desc())).first()
            visit = VisitProgramme(
                fellow_id=visitor.id, starts_on=start.date(), ends_on=start.date() + timedelta(days=4)
            )
            db.session.add(
                ExpertInvitation(
                    programme=visit,
                    expert=expert,
                    status="invited",
                    available=[],
                    token_hash=ExpertInvitation.hash(token),
                )
            )
            db.session.commit()
        return f"/expert/{token}", f"/expert/{token}"

    targets = [
        ("organiser", same("/organiser/events/new")),
        ("organiser", same("/organiser/visits/new")),
        ("anonymous", expert_link),
        ("organiser", for_event("/organiser/events/{}/edit")),
        ("organiser", for_event("/organiser/events/{}/cancel")),
        ("organiser", for_event("/organiser/events/{}/attendees", "/organiser/events/{}/capacity")),
        ("organiser", for_event("/organiser/events/{}/notes/new", new_event=past)),
        ("organiser", same("/organiser/fellows/invite")),
        ("organiser", same("/organiser/organisations/new")),
        ("organiser", same("/organiser/topics")),
        ("fellow", for_event("/events/{}", "/events/{}/book")),
        ("fellow", same("/profile/edit")),
        ("fellow", same("/account")),
        ("anonymous", same("/join")),
        ("anonymous", same("/password/forgot")),
    ]
    return clients, targets


TARGET_NAMES = [
    "event new",
    "visit new",
    "expert answer",
    "event edit",
    "event cancel",
    "capacity",
    "note new",
    "invite fellow",
    "organisation new",
    "topic new",
    "book",
    "profile",
    "password change",
    "join",
    "forgot password",
]


@pytest.mark.parametrize("index", range(len(TARGET_NAMES)), ids=TARGET_NAMES)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_a_fuzzed_form_never_fails_and_a_refused_one_saves_nothing(app, places, index, data):
    clients, targets = places
    who, make = targets[index]
    page, action = make()
    client = clients[who]
    response = client.get(page, follow_redirects=True)
    assert response.status_code == 200, page
    fields = data.draw(changed_fields(_form_for(response.get_data(as_text=True), page, action)))
    with app.app_context():
        before = _fingerprint()

    answer = client.post(action, data=MultiDict(fields))

    assert answer.status_code < 500, (action, fields)
    if 400 <= answer.status_code < 500:
        with app.app_context():
            assert _fingerprint() == before, f"a refused {action} changed the database: {fields}"
    elif answer.status_code == 302:
        location = answer.headers["Location"]
        if location.startswith("/"):
            assert client.get(location).status_code < 500, location
