"""Printable documents: HTML (rendered by a template) made into PDF by WeasyPrint.

WeasyPrint lays out pages with CSS (``@page`` sizes, margins and page numbers, grid) using Pango for text,
so its system libraries must be installed (docs/architecture.md, "Dependencies"). It is imported only when a PDF is
made: it takes a second to load, which every other request and CLI command would pay for nothing.
"""

from __future__ import annotations

from flask import Response


def html_to_pdf(html: str) -> bytes:
    """The PDF of ``html``, which must be self-contained: every stylesheet inline, no images or links to
    fetch. Fetching is refused, so a URL that reached a document could never make the server request it."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()


def pdf_response(html: str, filename: str) -> Response:
    """A private PDF shown in the browser (it names people: never kept by a cache)."""
    return Response(
        html_to_pdf(html),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "private, no-store"},
    )
