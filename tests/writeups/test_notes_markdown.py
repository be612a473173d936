"""Write-ups are Markdown: what readers get keeps its structure and can never run script or restyle the page."""

from __future__ import annotations

import feedparser
import pytest

from tests.html import assert_inert, elements
from tests.notes_helpers import (
    make_note_fixture,  # noqa: F401  (fixtures)
    past,
    text_of,
)

ATTACKS = {
    "script tag": "<script>alert('owned')</script>",
    "img onerror": '<img src="x" onerror="alert(1)">',
    "onclick attribute": '<a href="https://example.org" onclick="alert(1)">click</a>',
    "javascript link": "[click me](javascript:alert(1))",
    "javascript link, mixed case and entities": "[click](JaVaScRiPt&#58;alert(1))",
    "data link": "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "javascript image": "![pic](javascript:alert(1))",
    "data image": "![pic](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "autolink javascript": "<javascript:alert(1)>",
    "style attribute": '<p style="position:fixed;top:0">cover</p>',
    "style tag": "<style>body { display: none }</style>",
    "iframe": '<iframe src="https://evil.example"></iframe>',
    "svg onload": "<svg onload=alert(1)>",
    "reference link javascript": "[ref][x]\n\n[x]: javascript:alert(1)",
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_each_attack_is_neutralised_on_the_page_and_in_the_feed(client, make_event, make_note, name):
    event_id = make_event(starts_at=past())
    attack = ATTACKS[name]
    note_id = make_note(
        event_id,
        title="Attack",
        summary="<b>summary</b>",
        body=f"Intro\n\n{attack}\n\nOutro",
        image_caption='<img src=x onerror="alert(1)">',
        image_credit="<script>x</script>",
    )
    html = text_of(client.get(f"/notes/{note_id}"))
    article = html.split('<article class="note">', 1)[1].split("</article>", 1)[0]
    assert_inert(article)
    assert "Intro" in article and "Outro" in article
    assert "alert(1)</script>" not in html and "<script>alert" not in html
    # The feed carries the same sanitised HTML; check it as a feed reader would see the content.
    feed = feedparser.parse(client.get("/notes/feed.atom").data, sanitize_html=False)
    assert_inert(feed.entries[0].content[0].value)


def test_ordinary_markdown_survives(client, make_event, make_note):
    event_id = make_event(starts_at=past())
    body = """## Heading two

### Heading three

Some **bold**, *italic* and `code`, and a [link](https://www.jbs.cam.ac.uk/ "Judge").

- first item
- second item

1. one
2. two

> A quotation from the discussion.

| Model | Verdict |
| --- | ---: |
| Own generator | Cannot compete |
| National grid | Universal voltage |
"""
    note_id = make_note(event_id, body=body)
    html = text_of(client.get(f"/notes/{note_id}"))
    article = html.split('<article class="note">', 1)[1].split("</article>", 1)[0]
    tags = [tag for tag, _ in elements(article)]
    for tag in ("h2", "h3", "strong", "em", "code", "ul", "ol", "li", "blockquote", "table", "thead", "th", "td"):
        assert tag in tags, tag
    links = [
        attrs for tag, attrs in elements(article) if tag == "a" and attrs.get("href", "").startswith("https://www.jbs")
    ]
    assert links and links[0]["title"] == "Judge" and "noopener" in links[0]["rel"]
    assert "<td>National grid</td>" in article and "<td>Universal voltage</td>" in article
    assert "<blockquote>" in article and "A quotation from the discussion." in article


def test_further_reading_only_accepts_web_addresses(app, make_event, make_organiser, login):
    event_id = make_event(starts_at=past())
    client = login(make_organiser())
    for bad in ("javascript:alert(1)", "data:text/html,hi", "ftp://example.org/file", "Just words"):
        response = client.post(
            f"/organiser/events/{event_id}/notes/new",
            data={
                "title": "Links",
                "summary": "S",
                "body": "B",
                "audience": "public",
                "further_reading": f"Bad link {bad}",
            },
        )
        assert response.status_code == 400, bad
        assert "must end with a web address" in text_of(response)
    from extensions import db
    from writeups.models import Note

    with app.app_context():
        assert db.session.query(Note).count() == 0
