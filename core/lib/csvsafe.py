"""CSV that spreadsheets cannot run: cells that start like a formula are exported as text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

#: A cell starting with one of these is treated as a formula by Excel, LibreOffice and Google Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """Prefix a formula-like cell with an apostrophe, which spreadsheets show as plain text."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def write_csv(header: list[str], rows: Iterable[Iterable]) -> str:
    """A UTF-8 CSV document (with BOM, so Excel reads accents correctly) of neutralised cells."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue()
