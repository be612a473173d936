"""Issue 26 item 4 (in part): workshop and conference themes clustered from the current fellows' questions,
with the fellows and the experts who fit, and a link that opens the event form filled in."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import pytest

from core.models import Tag, slugify
from extensions import db
from programmes.models import Appointment, PolicyQuestion
from tests.events_helpers import text_of

PAGE = "/organiser/workshop-themes"


@pytest.fixture
def fellows(app, make_fellow, make_expert):
    """Ada and Grace ask about ageing in other words; Ada and Tom about AI in casework; Pat asked about
    ageing too, but her tenure ended."""
    make_expert(
        "Dr Maya Patel",
        department="Department of Public Health",
        biography="Studies social isolation in later life and community befriending schemes.",
        topics=("Ageing",),
    )
    asks = {
        "Ada Lovelace": [
            ("What reduces loneliness among older people living alone?", "Ageing"),
            ("How can machine learning help caseworkers prioritise applications?", "AI policy"),
        ],
        "Grace Hopper": [("How can councils tackle social isolation in later life?", "Ageing")],
        "Tom Baker": [("Should a government use AI to triage casework?", "AI policy")],
        "Pat Past": [("How can loneliness among pensioners be measured?", "Ageing")],
    }
    today = date.today()
    ids = {}
    for name, questions in asks.items():
        fellow = make_fellow(name=name)
        ids[name] = fellow.id
        with app.app_context():
            ended = name == "Pat Past"
            db.session.add(
                Appointment(
                    fellow_id=fellow.id,
                    cohort=2025,
                    starts_on=today - timedelta(days=900 if ended else 100),
                    ends_on=today - timedelta(days=30) if ended else today + timedelta(days=600),
                )
            )
            for text, topic in questions:
                tag = db.session.scalar(db.select(Tag).filter_by(name=topic)) or Tag(name=topic, slug=slugify(topic))
                db.session.add(PolicyQuestion(fellow_id=fellow.id, question=text, topics=[tag]))
            db.session.commit()
    return ids


def _themes(body: str) -> dict[str, str]:
    """{theme heading: the theme's text}."""
    found = {}
    for article in re.findall(r'<article class="theme".*?</article>', body, flags=re.S):
        heading = unescape(re.search(r"<h2[^>]*>(.*?)</h2>", article).group(1))
        found[heading] = " ".join(unescape(re.sub(r"<[^>]+>", " ", article)).split())
    return found


def test_current_fellows_questions_fall_into_themes_with_their_fellows_and_experts(fellows, make_organiser, login):
    body = login(make_organiser()).get(PAGE).get_data(as_text=True)
    themes = _themes(body)
    assert set(themes) == {"Ageing", "AI policy"}
    ageing = themes["Ageing"]
    assert "2 fellows · 2 questions" in ageing
    assert "What reduces loneliness among older people living alone? — Ada Lovelace" in ageing
    assert "How can councils tackle social isolation in later life? — Grace Hopper" in ageing
    assert "Pat Past" not in body  # her tenure has ended
    assert "Dr Maya Patel" in ageing and "Close in meaning to" in ageing
    assert "Tom Baker" in themes["AI policy"] and "Ada Lovelace" in themes["AI policy"]
    assert "Dr Maya Patel" not in themes["AI policy"]


def test_a_theme_opens_the_event_form_filled_in(fellows, make_organiser, login):
    organiser = login(make_organiser())
    body = organiser.get(PAGE).get_data(as_text=True)
    article = next(a for a in re.findall(r'<article class="theme".*?</article>', body, flags=re.S) if ">Ageing<" in a)
    link = unescape(re.search(r'href="(/organiser/events/new\?[^"]+)">Plan a workshop', article).group(1))
    form = organiser.get(link)
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert 'value="Workshop: Ageing"' in html
    assert '<option selected value="workshop">' in html
    assert re.search(r'<input checked[^>]*name="audience"[^>]*value="invitation"', html)
    assert "- What reduces loneliness among older people living alone?" in unescape(html)
    # A link with a kind or audience the form does not know is ignored, not an error.
    odd = organiser.get("/organiser/events/new?kind=rave&audience=everyone&title=" + "x" * 300)
    assert odd.status_code == 200 and 'value="' + "x" * 200 + '"' in odd.get_data(as_text=True)


def test_without_the_model_themes_come_from_shared_topics(app, fellows, make_organiser, login):
    app.config["MATCHING_SEMANTIC"] = False
    page = text_of(login(make_organiser()).get(PAGE))
    assert "Note: semantic matching is off" in page
    assert set(_themes(login(make_organiser()).get(PAGE).get_data(as_text=True))) == {"Ageing", "AI policy"}


def test_only_organisers_see_the_themes(fellows, make_fellow, login, client):
    assert client.get(PAGE).status_code == 302
    assert login(make_fellow()).get(PAGE).status_code == 403


def test_no_theme_without_two_fellows_asking_alike(app, make_fellow, make_organiser, login):
    page = text_of(login(make_organiser()).get(PAGE))
    assert "No theme yet" in page


def test_the_demo_fellows_questions_make_two_themes(app, runner, client):
    from fellows.demo import DEMO_PASSWORD, ORGANISER_EMAIL

    assert runner.invoke(args=["demo"]).exit_code == 0
    client.post("/login", data={"email": ORGANISER_EMAIL, "password": DEMO_PASSWORD})
    themes = _themes(client.get(PAGE).get_data(as_text=True))
    assert set(themes) == {"Digital government", "AI policy"}
    assert "Fellows to invite Amelia Hart , Esther Nwosu" in themes["AI policy"]
    assert "Amelia Hart , Chloe Lindqvist" in themes["Digital government"]
