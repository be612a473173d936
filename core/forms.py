"""Form fields and validators shared by every area."""

from __future__ import annotations

from urllib.parse import urlparse

from wtforms import SelectMultipleField, widgets
from wtforms import TextAreaField as _TextAreaField
from wtforms.validators import ValidationError


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
