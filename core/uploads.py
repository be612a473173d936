"""Imports that show what they would do before they do it: upload a file → preview → confirm.

Every import (fellows and experts from CSV, events from .ics) shares this part and keeps only its own
parsing and applying:

- ``read_upload`` reads the uploaded file: at most ``MAX_UPLOAD_BYTES``, UTF-8 with or without a
  byte-order mark, no binary data, and never a file whose upload was cut off (``WholeUpload`` on the
  form's file field says so rather than "choose a file"); ``csv_records`` reads CSV text and refuses a
  file that ends inside a quoted value or in the middle of a row — it was cut short.
- The file travels to the confirmation inside the preview's form (``pack`` / ``unpack``): compressed,
  checked whole on the way back (a field cut short or forged is refused, as is one that would unpack to
  more than ``MAX_UNPACKED_BYTES``), and nothing is kept on the server between the two steps. The
  confirmation reads and checks the file again, since the database may have changed since the preview.
- ``confirm_once`` spends the preview's one-use key (``core.forms.submit_once``) in the import's own
  transaction: a second confirmation of the same preview (a double click, Back and Confirm again) imports
  nothing twice and is sent where the first one went (``answer_repeat``).
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import zlib
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass

from flask import flash, redirect, request
from wtforms.validators import StopValidation

from core.errors import ServiceError
from core.forms import submit_once
from core.upsert import commit_or_retry

#: The largest file an import reads (the request as a whole is limited by MAX_CONTENT_LENGTH too).
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
#: The most a confirmation's packed file may unpack to: a forged field of a few megabytes could otherwise
#: decompress to gigabytes.
MAX_UNPACKED_BYTES = 10 * 1024 * 1024

CUT_OFF = "The file did not arrive whole: the upload was cut off before its end. Upload it again."
MISSING = "The checked file did not come back with the confirmation. Upload it again."
NOT_BACK = "The checked file did not come back intact. Upload it again."
TOO_LARGE = "The file is too large. Split it into smaller files."
REPEATED = "This file has already been imported: confirming it again changed nothing."


class UploadError(ServiceError):
    """The file as a whole cannot be read (size, encoding, cut short, damaged); the message is for the organiser."""


@dataclass(frozen=True)
class FileKind:
    """What an import expects, for the messages: "CSV" or "calendar", and what to do about another encoding."""

    name: str
    not_utf8: str


CSV = FileKind(
    "CSV",
    "The file is not UTF-8 text. In Excel choose “CSV UTF-8 (Comma delimited)” when saving; "
    "in LibreOffice or Google Sheets pick UTF-8 as the character set.",
)
CALENDAR = FileKind("calendar", "The file is not UTF-8 text, so it is not an .ics calendar file.")


class WholeUpload:
    """A file field's first validator: an upload whose connection was cut is refused as such.

    Werkzeug drops a file part the body ends inside of, so without this the organiser would be told to
    choose a file they did choose (``core.request_args.Request.body_cut_short``).
    """

    def __call__(self, form, field) -> None:
        if getattr(request, "body_cut_short", False):
            field.errors[:] = []
            raise StopValidation(CUT_OFF)


def decode_text(data: bytes, kind: FileKind) -> str:
    """The file's text: UTF-8 with or without a byte-order mark, and no NUL (PostgreSQL refuses it in text)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UploadError(kind.not_utf8) from error
    if "\x00" in text:
        raise UploadError(f"The file contains binary data, not {kind.name} text. Check that you chose the right file.")
    return text


def read_upload(storage, kind: FileKind) -> str:
    """Read and decode an uploaded file (a FileStorage); UploadError says why one cannot be used."""
    if getattr(request, "body_cut_short", False):
        raise UploadError(CUT_OFF)
    data = storage.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        megabytes = MAX_UPLOAD_BYTES // (1024 * 1024)
        raise UploadError(f"The file is larger than {megabytes} MB. Split it into smaller files.")
    return decode_text(data, kind)


def csv_records(text: str) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank row of CSV text, header first, with the line it ends on.

    Strict: a stray quote is reported rather than silently swallowing the rest of the file. A file that
    ends inside a quoted value, or without a line break in a row shorter than the header, was cut short
    (a spreadsheet always ends its last row with a line break and writes every cell).
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    width = last = None
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue  # blank lines, often left at the end by spreadsheets
            width = len(cells) if width is None else width
            last = cells
            yield reader.line_num, cells
    except csv.Error as error:
        if str(error) == "unexpected end of data":
            raise UploadError(
                f"The file is not valid CSV (line {reader.line_num}): it ends inside a quoted value, so it was "
                "probably cut short. Export it again."
            ) from error
        raise UploadError(f"The file is not valid CSV (line {reader.line_num}): {error}.") from error
    if last is not None and len(last) < width and not text.endswith(("\n", "\r")):
        raise UploadError(
            f"The file ends in the middle of a row (line {reader.line_num} has {len(last)} of {width} cells): "
            "it was probably cut short. Export it again."
        )


def csv_table[R](
    text: str,
    *,
    columns: Sequence[str],
    what: str,
    max_rows: int,
    read_header: Callable[[list[str]], list[str]],
    read_row: Callable[[int, list[str], list[str]], R],
) -> tuple[list[str], list[R]]:
    """A CSV file as its header (``read_header`` checks the cells and names the columns) and at most
    ``max_rows`` rows of ``what`` ("fellows"), each read by ``read_row(line, columns, cells)``."""
    records = csv_records(text)
    header = next(records, None)
    if header is None:  # nothing but blank lines
        raise UploadError("The file is empty. The first row must name the columns: " + ", ".join(columns) + ".")
    names = read_header(header[1])
    rows: list[R] = []
    for line, cells in records:
        if len(rows) >= max_rows:
            raise UploadError(f"The file has more than {max_rows} {what}. Split it into smaller files.")
        rows.append(read_row(line, names, cells))
    if not rows:
        raise UploadError(f"The file has a header row but no {what} below it.")
    return names, rows


@dataclass
class CheckedRows:
    """A checked CSV file: its text (carried to the confirmation) and every row, each with its ``errors``.
    Nothing is imported from a file with any error."""

    text: str
    rows: list

    @property
    def error_rows(self) -> list:
        return [row for row in self.rows if row.errors]

    @property
    def has_errors(self) -> bool:
        return any(row.errors for row in self.rows)


def pack(text: str) -> str:
    """The checked file for the confirmation form's hidden field (compressed: form fields are size-limited)."""
    return base64.b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")


def unpack(packed: str) -> str:
    """The text ``pack`` carried; UploadError if it came back damaged, cut short or implausibly large."""
    try:
        decompressor = zlib.decompressobj()
        compressed = base64.b64decode(packed.strip().encode("ascii"), validate=True)
        data = decompressor.decompress(compressed, MAX_UNPACKED_BYTES)
    except (binascii.Error, zlib.error, UnicodeEncodeError, ValueError) as error:
        raise UploadError(NOT_BACK) from error
    if decompressor.unconsumed_tail:
        raise UploadError(TOO_LARGE)
    if not decompressor.eof:
        raise UploadError(NOT_BACK)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UploadError(NOT_BACK) from error


@dataclass
class Confirmation[T]:
    """What ``confirm_once`` did: applied the import (``result``), or found it a repeat (``answer``)."""

    repeat: bool = False
    answer: str | None = None
    result: T | None = None


def confirm_once[T](
    key: str | None, user, apply: Callable[[], tuple[T, str]], constraints: Collection[str] = ()
) -> Confirmation[T]:
    """Spend the confirmation's one-use key, run ``apply`` and commit, all in one transaction.

    ``apply`` changes models, flushes, and returns its result with the path the browser goes to next; a
    repeat of the same confirmation (same key, same organiser) runs nothing and gets that path. A race on
    one of ``constraints`` runs it again (``core.upsert.commit_or_retry``); any other IntegrityError is the
    caller's, rolled back. A failed import leaves the key unspent, so the organiser can try again.
    """

    def attempt() -> Confirmation[T]:
        submission = submit_once(key, user)
        if submission.is_repeat:
            return Confirmation(repeat=True, answer=submission.answer)
        result, answer = apply()
        submission.answered(answer)
        return Confirmation(result=result, answer=answer)

    return commit_or_retry(attempt, constraints)


def answer_repeat(confirmation: Confirmation, fallback: str):
    """The answer to a repeated confirmation: said once, and sent where the first confirmation went."""
    flash(REPEATED, "info")
    return redirect(confirmation.answer or fallback)
