"""Reading HTML in tests the way a browser would, with the standard library's parser."""

from __future__ import annotations

from html.parser import HTMLParser

DANGEROUS_SCHEMES = ("javascript:", "data:", "vbscript:")


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.elements


def assert_inert(html: str) -> None:
    """No element in ``html`` can run script or restyle the page: no script/style/iframe elements,
    no on* handlers, no style attributes, no javascript:/data: URLs."""
    for tag, attrs in elements(html):
        assert tag not in {"script", "style", "iframe", "object", "embed", "form", "svg"}, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name != "style", (tag, name)
            if name in {"href", "src", "action", "formaction", "xlink:href"}:
                assert not (value or "").strip().lower().startswith(DANGEROUS_SCHEMES), (tag, name, value)


def section(html: str, start: str, end: str) -> str:
    """The part of ``html`` between the first ``start`` and the next ``end`` (empty if absent)."""
    if start not in html:
        return ""
    return html.split(start, 1)[1].split(end, 1)[0]
