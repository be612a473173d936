"""What arrives in URLs and forms, made safe for the database before any view sees it.

Numbers: anything that is not a plain whole number a database INTEGER can hold is treated as absent,
so that odd input ("abc", "²", "-1", 10**20) never reaches a query as a 500. Text: NUL characters are
dropped from query strings and form fields (``Request``), because PostgreSQL refuses them in text.
Bodies: a form body that ends before its Content-Length (a connection cut mid-upload) is noted as
``request.body_cut_short`` for ``core.uploads`` to refuse, instead of reading as a form without its file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask import Request as FlaskRequest
from flask import request
from flask_sqlalchemy.pagination import Pagination
from werkzeug.exceptions import ClientDisconnected
from werkzeug.utils import cached_property

from extensions import db

#: The largest value of an INTEGER column on PostgreSQL (SQLite allows more, so this is the common limit).
MAX_DATABASE_INT = 2**31 - 1
#: ?page= beyond this shows an (empty) last page: no list is that long, and OFFSET must stay in range.
MAX_PAGE = 10_000


def whole_number(value) -> int | None:
    """``value`` as a non-negative int that fits an INTEGER column, or None.

    ``str.isdigit`` alone is not enough: it accepts "²" and other Unicode digits that ``int`` refuses.
    """
    text = str(value).strip() if value is not None else ""
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= MAX_DATABASE_INT else None


def drop_unknown_filters(args: dict[str, str], known: dict[str, tuple[str, Iterable]]) -> list[str]:
    """Blank each filter in ``args`` whose value is not one of its known values, and say so.

    ``known`` maps a filter's name to (its label for people, its known values). A mistyped or outdated
    link (``?kind=lectures``) then shows the unfiltered list with a notice, instead of silently ignoring
    the filter or silently showing nothing. Returns the notices, for ``base.html`` (``filter_notices``).
    """
    notices = []
    for name, (label, values) in known.items():
        value = args.get(name, "")
        if value and value not in {str(known_value) for known_value in values}:
            notices.append(f"“{value[:60]}” is not a {label} this list knows, so the list is not filtered by {label}.")
            args[name] = ""
    return notices


def requested_page(name: str = "page") -> int:
    """The page number in ?page= (or another parameter): 1 when missing or not a number, at most MAX_PAGE."""
    return min(whole_number(request.args.get(name)) or 1, MAX_PAGE)


@dataclass
class CountedPage:
    """One page of a list whose length is already known (no COUNT query of its own); the same
    interface as a Flask-SQLAlchemy Pagination for the ``pagination`` macro."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    has_prev = property(lambda self: self.page > 1)
    has_next = property(lambda self: self.page < self.pages)
    prev_num = property(lambda self: self.page - 1)
    next_num = property(lambda self: self.page + 1)


def counted_page(query, total: int, per_page: int, name: str = "page") -> CountedPage:
    """The requested page of ``query`` (a select), which has ``total`` rows; past the end, the last page."""
    pages = max(1, -(-total // per_page))
    page = min(requested_page(name), pages)
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return CountedPage(items=list(items), page=page, per_page=per_page, total=total)


def paginate(query, per_page: int) -> Pagination:
    """``db.paginate`` for list pages, with the page number read safely from the query string."""
    return db.paginate(query, page=requested_page(), per_page=per_page, error_out=False)


class _CountedBody:
    """The request body as the form parser reads it, counting bytes to tell a cut connection from the end."""

    def __init__(self, stream, request: Request):
        self._stream, self._request, self._read = stream, request, 0

    def read(self, size: int = -1) -> bytes:
        try:
            data = self._stream.read(size)
        except ClientDisconnected:  # Werkzeug's limit on Content-Length found the body short
            data = b""
        self._read += len(data)
        expected = self._request.content_length
        if not data and size != 0 and expected is not None and self._read < expected:
            self._request.body_cut_short = True
        return data

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


class Request(FlaskRequest):
    """A request whose query string and form fields carry no NUL characters.

    No page needs one, a browser never types one, and PostgreSQL refuses them in text, where a pasted
    NUL would otherwise be a 500 deep inside a query. Dropping it keeps the rest of what was typed.
    Uploaded files are left as they are.
    """

    #: The body ended before its Content-Length: the client's connection was cut during the upload.
    body_cut_short = False

    @cached_property
    def args(self):
        return self._without_nul(super().args)

    def _load_form_data(self) -> None:
        # Werkzeug fills ``form`` and ``files`` together here, whichever of them is read first.
        self._file_streams: list = []
        super()._load_form_data()
        self.__dict__["form"] = self._without_nul(self.__dict__["form"])
        # Werkzeug drops a file part the body ended inside of, but leaves its spooled file open.
        kept = {id(storage.stream) for storage in self.__dict__["files"].values()}
        for stream in self._file_streams:
            if id(stream) not in kept:
                stream.close()

    def _get_file_stream(self, *args, **kwargs):
        stream = super()._get_file_stream(*args, **kwargs)
        self._file_streams.append(stream)
        return stream

    def _get_stream_for_parsing(self):
        return _CountedBody(super()._get_stream_for_parsing(), self)

    def _without_nul(self, data):
        pairs = list(data.items(multi=True))
        if not any("\x00" in key or "\x00" in value for key, value in pairs):
            return data
        return self.parameter_storage_class(
            (key.replace("\x00", ""), value.replace("\x00", "")) for key, value in pairs
        )
