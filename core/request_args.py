"""What arrives in URLs and forms, made safe for the database before any view sees it.

Numbers: anything that is not a plain whole number a database INTEGER can hold is treated as absent,
so that odd input ("abc", "²", "-1", 10**20) never reaches a query as a 500. Text: NUL characters are
dropped from query strings and form fields (``Request``), because PostgreSQL refuses them in text.
"""

from __future__ import annotations

from flask import Request as FlaskRequest
from flask import request
from flask_sqlalchemy.pagination import Pagination
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


def requested_page() -> int:
    """The page number in ?page=: 1 when missing or not a number, at most MAX_PAGE."""
    return min(whole_number(request.args.get("page")) or 1, MAX_PAGE)


def paginate(query, per_page: int) -> Pagination:
    """``db.paginate`` for list pages, with the page number read safely from the query string."""
    return db.paginate(query, page=requested_page(), per_page=per_page, error_out=False)


class Request(FlaskRequest):
    """A request whose query string and form fields carry no NUL characters.

    No page needs one, a browser never types one, and PostgreSQL refuses them in text, where a pasted
    NUL would otherwise be a 500 deep inside a query. Dropping it keeps the rest of what was typed.
    Uploaded files are left as they are.
    """

    @cached_property
    def args(self):
        return self._without_nul(super().args)

    def _load_form_data(self) -> None:
        # Werkzeug fills ``form`` and ``files`` together here, whichever of them is read first.
        super()._load_form_data()
        self.__dict__["form"] = self._without_nul(self.__dict__["form"])

    def _without_nul(self, data):
        pairs = list(data.items(multi=True))
        if not any("\x00" in key or "\x00" in value for key, value in pairs):
            return data
        return self.parameter_storage_class(
            (key.replace("\x00", ""), value.replace("\x00", "")) for key, value in pairs
        )
