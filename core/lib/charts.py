"""Bar charts drawn on the server as SVG, by pygal: no script, no external asset, the page's own colours.

The chart is a picture of a table the page also prints, so it is hidden from screen readers (the table
is what they read) and carries no interactive tooltips (pygal's tooltip script is left out: the site's
Content-Security-Policy allows only its own scripts).
"""

from __future__ import annotations

import math

import pygal
from pygal.style import Style

#: The site's palette (static/css/site.css): brand blue, then a muted grey-blue, then warning amber.
COLOURS = ("#1d4f91", "#8fa9cc", "#e5c76b")
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
#: Height of one bar's row, and of the title, axis and legend around the bars, in SVG units.
ROW = 30
FRAME = 110
WIDTH = 760

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1b1f24",
    foreground_strong="#1b1f24",
    foreground_subtle="#d5dae0",
    colors=COLOURS,
    opacity="1",
    opacity_hover="1",
    font_family=FONT,
    label_font_family=FONT,
    major_label_font_family=FONT,
    title_font_family=FONT,
    legend_font_family=FONT,
    value_font_family=FONT,
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    title_font_size=15,
)


def _quiet(root):
    """pygal's XML filter: drop the configuration script it writes for its (unused) tooltips, and hide the
    picture from screen readers, which read the table instead."""
    for defs in root.iter("defs"):
        for script in defs.findall("script"):
            defs.remove(script)
    root.set("aria-hidden", "true")
    root.set("focusable", "false")
    return root


def stacked_bars(title: str, labels: list[str], series: dict[str, list[int]]) -> str:
    """One horizontal bar per label, each series stacked along it, as SVG markup to put in a page.

    ``series`` maps a name to one whole number per label (in the labels' order). The first label is drawn
    at the top, as in the table beside the chart. Labels are text, escaped by pygal's XML writer.
    """
    chart = pygal.HorizontalStackedBar(
        style=STYLE,
        js=[],
        disable_xml_declaration=True,
        width=WIDTH,
        height=FRAME + ROW * max(1, len(labels)),
        legend_at_bottom=True,
        legend_at_bottom_columns=len(series),
        print_values=False,
        show_x_guides=True,
        show_y_guides=False,
        truncate_label=40,
    )
    chart.title = title
    chart.add_xml_filter(_quiet)
    # pygal draws a horizontal chart's first label at the bottom: reversed, the top row is the first.
    chart.x_labels = list(reversed(labels))
    # Whole-number ticks (pygal would put 0.5 between 0 and 1), about eight of them whatever the largest bar.
    largest = max((sum(bar) for bar in zip(*series.values(), strict=True)), default=0)
    step = max(1, math.ceil(largest / 8))
    chart.y_labels = list(range(0, largest + step, step))
    for name, values in series.items():
        chart.add(name, list(reversed(values)))
    return chart.render(is_unicode=True)
