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


class _Forms(HTMLParser):
    """Every <form> on a page with the name/value pairs a browser would submit for it unchanged."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._textarea: tuple[str, list[str]] | None = None
        self._select: dict | None = None
        self._option: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"action": attrs.get("action") or "", "method": (attrs.get("method") or "get").lower()}
            self._form.update(fields=[], submit=None, enctype=attrs.get("enctype") or "")
            self.forms.append(self._form)
            return
        if self._form is None or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "image"):
                if name and self._form["submit"] is None:
                    self._form["submit"] = (name, attrs.get("value") or "")
            elif kind in ("checkbox", "radio"):
                if name and "checked" in attrs:
                    self._form["fields"].append((name, attrs.get("value") or "on"))
            elif kind not in ("file", "button", "reset") and name:
                self._form["fields"].append((name, attrs.get("value") or ""))
        elif tag == "button":
            if name and (attrs.get("type") or "submit").lower() == "submit" and self._form["submit"] is None:
                self._form["submit"] = (name, attrs.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = (name, [])
        elif tag == "select" and name:
            self._select = {"name": name, "multiple": "multiple" in attrs, "options": []}
        elif tag == "option" and self._select is not None:
            self._option = {"value": attrs.get("value"), "selected": "selected" in attrs, "text": []}
            self._select["options"].append(self._option)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1].append(data)
        elif self._option is not None:
            self._option["text"].append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            name, parts = self._textarea
            text = "".join(parts)
            # As browsers do: the newline right after <textarea> is not part of the value.
            text = text[2:] if text.startswith("\r\n") else text[1:] if text.startswith("\n") else text
            # ... and its line breaks are sent as CRLF.
            self._form["fields"].append((name, text.replace("\r\n", "\n").replace("\n", "\r\n")))
            self._textarea = None
        elif tag == "option":
            self._option = None
        elif tag == "select" and self._select is not None:
            options = self._select["options"]
            chosen = [o for o in options if o["selected"]] or ([] if self._select["multiple"] else options[:1])
            for option in chosen:
                value = option["value"] if option["value"] is not None else "".join(option["text"]).strip()
                self._form["fields"].append((self._select["name"], value))
            self._select = None


def forms(html: str) -> list[dict]:
    """The page's forms: dicts of action, method, enctype, fields [(name, value)] and the first named submit
    button (name, value) — what pressing it would send with nothing changed."""
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def form_posting_to(html: str, path: str) -> dict:
    """The one POST form on the page at ``path`` that posts back to ``path`` (an edit page's own form)."""
    from urllib.parse import urljoin, urlsplit

    found = [
        form
        for form in forms(html)
        if form["method"] == "post" and urlsplit(urljoin("http://localhost" + path, form["action"])).path == path
    ]
    assert len(found) == 1, f"{path} should have one form that posts back to it, has {len(found)}"
    return found[0]
