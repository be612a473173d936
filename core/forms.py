"""Form fields and validators shared by every area, and the one-use key of forms that must act once."""

from __future__ import annotations

import hashlib
import re
import secrets
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlparse

from sqlalchemy import delete, select, update
from wtforms import HiddenField, SelectMultipleField, widgets
from wtforms import TextAreaField as _TextAreaField
from wtforms.validators import ValidationError

from core.models import UsedFormKey, utcnow
from core.upsert import insert_missing
from extensions import db

#: A used key is remembered this long: a repeat after that acts again.
FORM_KEY_KEPT = timedelta(days=1)
_FORM_KEY = re.compile(r"[A-Za-z0-9_-]{20,64}")


class MultiCheckboxField(SelectMultipleField):
    """A set of checkboxes (e.g. interests from the shared vocabulary)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class TextAreaField(_TextAreaField):
    """A multi-line text box whose line endings arrive as ``\\n`` whatever the browser sent.

    Browsers submit a textarea's line breaks as CRLF: without this, saving a form unchanged would
    store different text (and record a change) for every multi-line field.
    """

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if isinstance(self.data, str):
            self.data = self.data.replace("\r\n", "\n").replace("\r", "\n")


def strip_filter(value):
    return value.strip() if isinstance(value, str) else value


def empty_to_none(value):
    if isinstance(value, str):
        value = value.strip()
    return value or None


def validate_web_url(form, field) -> None:
    """Only http(s) links with a host: no javascript:, data: or relative URLs."""
    if not field.data:
        return
    parsed = urlparse(field.data.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValidationError("Enter a full web address starting with https:// or http://")


# One-use form keys -------------------------------------------------------------------------------


#: While a page that may be kept is built (core.personal_pages), the form keys made for it, so that each
#: answer from the kept copy carries new ones.
made_form_keys: ContextVar[list[str] | None] = ContextVar("made_form_keys", default=None)


def new_form_key() -> str:
    key = secrets.token_urlsafe(24)
    made = made_form_keys.get()
    if made is not None:
        made.append(key)
    return key


def _well_formed_key(value):
    return value if isinstance(value, str) and _FORM_KEY.fullmatch(value) else None


class FormKeyField(HiddenField):
    """A hidden, random key made with each rendering of the form; ``submit_once`` spends it.

    A re-rendered form (with errors) keeps the key it came with, so fixing the errors and sending it
    again still acts once. A missing or malformed key is None: that submission acts, unprotected.
    """

    def __init__(self, label: str = "", **kwargs):
        kwargs.setdefault("default", new_form_key)
        kwargs.setdefault("filters", []).append(_well_formed_key)
        super().__init__(label, **kwargs)


@dataclass
class FormSubmission:
    """A submission of a form with a one-use key: the first one acts, a repeat answers as it did."""

    key_hash: str | None
    #: True when an earlier submission of this form (same key, same person) has already acted.
    is_repeat: bool = False
    #: What the earlier submission recorded with ``answered`` (a path to redirect to), if anything.
    answer: str | None = None

    def answered(self, answer: str) -> None:
        """Record where this (first) submission sends the browser, for any repeat of it."""
        if self.key_hash is not None:
            db.session.execute(
                update(UsedFormKey).where(UsedFormKey.key_hash == self.key_hash).values(answer=answer[:500])
            )


def submit_once(key: str | None, user=None) -> FormSubmission:
    """Spend the form's one-use key in the view's transaction, before the service acts.

    The first submission inserts the key and acts; if it then fails and rolls back, the key is unspent
    again. A repeat sent at the same moment waits on the key's row (PostgreSQL's unique index, SQLite's
    write lock) until the first commits, and then finds it: ``is_repeat``. The key is hashed with the
    signed-in person's id, so one person's key never answers for another.
    """
    if not key:
        return FormSubmission(None)
    # The account's id, not Flask-Login's get_id(): that carries the moment of signing in and changes
    # every second, so a repeat a second later would not be recognised.
    owner = str(user.id) if user is not None and user.is_authenticated else ""
    key_hash = hashlib.sha256(f"{owner}:{key}".encode()).hexdigest()
    if insert_missing(UsedFormKey, [{"key_hash": key_hash, "created_at": utcnow()}]):
        return FormSubmission(key_hash)
    answer = db.session.scalar(select(UsedFormKey.answer).where(UsedFormKey.key_hash == key_hash))
    return FormSubmission(key_hash, is_repeat=True, answer=answer)


def purge_used_form_keys(now: datetime) -> dict[str, int]:
    """``flask purge``: forget keys used more than FORM_KEY_KEPT ago."""
    result = db.session.execute(delete(UsedFormKey).where(UsedFormKey.created_at < now - FORM_KEY_KEPT))
    return {"used form keys": result.rowcount}
