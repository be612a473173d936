"""core.lib.charts: server-drawn bar charts read as whole numbers, top row first, with no script."""

from __future__ import annotations

import re

from core.lib.charts import stacked_bars


def _ticks(svg: str) -> list[str]:
    """The value axis's tick labels, as drawn (a horizontal chart draws values along x)."""
    axis = re.search(r'<g class="axis x[^"]*">(.*?)</g>\s*</g>', svg, flags=re.S)
    return re.findall(r"<text[^>]*>([^<]+)</text>", axis.group(1)) if axis else []


def test_counts_are_drawn_on_whole_number_ticks_whatever_the_largest_bar():
    small = stacked_bars("T", ["A", "B"], {"Held": [1, 0], "Planned": [0, 1]})
    large = stacked_bars("T", ["A"], {"Held": [31], "Planned": [9]})
    assert _ticks(small) == ["0", "1"]
    assert _ticks(large) == ["0", "5", "10", "15", "20", "25", "30", "35", "40"]


def test_the_first_label_is_the_top_bar_and_the_picture_has_no_script():
    svg = stacked_bars("T", ["First", "Second"], {"Held": [2, 1]})
    assert svg.index(">Second<") < svg.index(">First<")  # pygal writes the bottom label first
    assert "<script" not in svg and 'aria-hidden="true"' in svg
