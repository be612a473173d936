"""Safe Markdown: markdown-it-py renders, nh3 (the Rust ammonia sanitiser) cleans.

Raw HTML in the source is escaped by the parser, and the sanitiser then removes anything that
could still run script: event-handler attributes, ``style``, ``javascript:`` and ``data:`` URLs.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

ALLOWED_TAGS = {
    "a",
    "abbr",
    "blockquote",
    "br",
    "code",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
    "del",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}


def render_markdown(source: str | None) -> Markup:
    """Markdown text → sanitised HTML, safe to put in a page as it is."""
    if not source:
        return Markup("")
    html = _parser.render(source)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


def markdown_to_text(source: str | None) -> str:
    """Markdown → plain text, for summaries, calendar descriptions and plain-text emails."""
    if not source:
        return ""
    return nh3.clean(_parser.render(source), tags=set()).strip()
