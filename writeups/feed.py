"""The Atom 1.0 feed of public write-ups, built with the standard library's XML writer (so every
piece of text is escaped) from notes that the view has already chosen."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime

from flask import current_app, render_template

from core.urls import external_url
from writeups.models import Note

ATOM = "http://www.w3.org/2005/Atom"
#: Characters XML 1.0 does not allow even escaped. The writer passes them through, and one of them (a
#: vertical tab pasted from a word processor, say) makes the whole feed unreadable for every subscriber.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _time(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes) -> ET.Element:
    values = {k: NOT_XML.sub("", v) for k, v in attributes.items() if v is not None}
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", values)
    if text is not None:
        element.text = NOT_XML.sub("", text)
    return element


def entry_updated(note: Note) -> datetime:
    return max(note.updated_at, note.published_at or note.updated_at)


def build_feed(notes: list[Note], updated: datetime) -> bytes:
    """An Atom document for ``notes`` (newest first); entry ids never change (urn:uuid of the note)."""
    ET.register_namespace("", ATOM)
    app_name = current_app.config["APP_NAME"]
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, "id", external_url("notes.feed"))
    _sub(feed, "title", f"{app_name}: write-ups")
    _sub(feed, "subtitle", "Write-ups of policy lunches, seminars and workshops, published openly.")
    _sub(feed, "updated", _time(updated))
    _sub(feed, "link", rel="self", type="application/atom+xml", href=external_url("notes.feed"))
    _sub(feed, "link", rel="alternate", type="text/html", href=external_url("notes.index"))
    author = _sub(feed, "author")
    _sub(author, "name", app_name)
    _sub(feed, "generator", app_name)
    for note in notes:
        entry = _sub(feed, "entry")
        _sub(entry, "id", f"urn:uuid:{note.uid}")
        _sub(entry, "title", note.title)
        url = external_url("notes.detail", note_id=note.id)
        _sub(entry, "link", rel="alternate", type="text/html", href=url)
        _sub(entry, "published", _time(note.published_at or note.updated_at))
        _sub(entry, "updated", _time(entry_updated(note)))
        for tag in note.topics:
            _sub(entry, "category", term=tag.slug, label=tag.name)
        if note.summary:
            _sub(entry, "summary", note.summary)
        # The same sanitised HTML readers get on the page, escaped once more by the XML writer.
        html = render_template("writeups/_feed_content.html", note=note, about=note.about)
        _sub(entry, "content", html, type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
