"""Half-days as values (core.lib.halfday): read once from their stored text, written back the same way."""

from __future__ import annotations

from datetime import date

import pytest

from core.lib.halfday import HalfDay


def test_a_half_day_reads_and_writes_its_stored_text():
    half = HalfDay.parse("2027-03-01 pm")
    assert half == HalfDay(date(2027, 3, 1), "pm")
    assert str(half) == "2027-03-01 pm"
    assert half.label == "Monday 1 March, afternoon"


@pytest.mark.parametrize("text", ["", "2027-03-01", "2027-03-01 noon", "someday am", "2027-02-30 am"])
def test_anything_else_is_not_a_half_day(text):
    with pytest.raises(ValueError):
        HalfDay.parse(text)


def test_every_half_day_of_some_days_in_order():
    days = [date(2027, 3, 2), date(2027, 3, 1)]
    halves = HalfDay.every(sorted(days))
    assert [str(h) for h in halves] == ["2027-03-01 am", "2027-03-01 pm", "2027-03-02 am", "2027-03-02 pm"]
    assert sorted(reversed(halves)) == halves
