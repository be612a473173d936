"""The growth plot (PNG), drawn with Pillow, which the app already depends on: matplotlib would add a
dozen pinned packages (numpy, fonttools, kiwisolver, …) to the install for one small chart.

Both axes are logarithmic: a page whose time grows in proportion to the data runs parallel to the grey
"linear" line; a flat line means its time does not depend on the data."""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

COLOURS = ["#1d70b8", "#d4351c", "#00703c", "#f47738", "#4c2c92", "#5694ca", "#b58840"]
PANEL_W, PANEL_H, MARGIN = 520, 380, 60


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType
        return ImageFont.load_default()


def growth_png(path: Path, panels: dict[str, dict[str, dict[float, float]]], factors: list[float]) -> None:
    """``panels``: {database: {page name: {factor: milliseconds}}}, one panel per database."""
    width = PANEL_W * len(panels) + MARGIN
    image = Image.new("RGB", (width, PANEL_H + 150), "white")
    draw = ImageDraw.Draw(image)
    font, small = _font(15), _font(12)
    names = list(dict.fromkeys(name for series in panels.values() for name in series))
    for index, (database, series) in enumerate(panels.items()):
        _panel(draw, MARGIN + index * PANEL_W, database, series, factors, names, font, small)
    y = PANEL_H + 70
    x = MARGIN
    for n, name in enumerate(names):
        draw.line([(x, y + 8), (x + 24, y + 8)], fill=COLOURS[n % len(COLOURS)], width=3)
        draw.text((x + 30, y), name, fill="black", font=small)
        x += 40 + int(draw.textlength(name, font=small))
        if x > width - 200:
            x, y = MARGIN, y + 22
    draw.line([(x, y + 8), (x + 24, y + 8)], fill="#b1b4b6", width=1)
    draw.text((x + 30, y), "linear: time grows as the data", fill="black", font=small)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, optimize=True)


def _panel(draw, left, database, series, factors, names, font, small) -> None:
    top, plot_w, plot_h = 40, PANEL_W - 90, PANEL_H - 80
    values = [v for points in series.values() for v in points.values() if v > 0]
    low = 10 ** math.floor(math.log10(min(values))) if values else 0.1
    high = 10 ** math.ceil(math.log10(max(values) * 16)) if values else 1000
    x_of = {f: left + 20 + i * (plot_w - 40) / max(1, len(factors) - 1) for i, f in enumerate(factors)}

    def y_of(value: float) -> float:
        share = (math.log10(value) - math.log10(low)) / (math.log10(high) - math.log10(low))
        return top + plot_h - share * plot_h

    draw.text((left, 10), f"Server time by size: {database}", fill="black", font=font)
    draw.rectangle([left, top, left + plot_w, top + plot_h], outline="#505a5f")
    decade = low
    while decade <= high * 1.001:
        y = y_of(decade)
        draw.line([(left, y), (left + plot_w, y)], fill="#e0e0e0")
        draw.text((left - 55, y - 7), f"{decade:g} ms", fill="#505a5f", font=small)
        decade *= 10
    for factor, x in x_of.items():
        label = "1" if factor == 1 else f"1/{round(1 / factor)}"
        draw.text((x - 10, top + plot_h + 6), label, fill="#505a5f", font=small)
    draw.text((left + plot_w / 2 - 40, top + plot_h + 24), "size (factor)", fill="#505a5f", font=small)
    for name, points in series.items():
        colour = COLOURS[names.index(name) % len(COLOURS)]
        line = [(x_of[f], y_of(points[f])) for f in factors if points.get(f, 0) > 0]
        if len(line) > 1:
            draw.line(line, fill=colour, width=3)
        for x, y in line:
            draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=colour)
    # The grey reference: from the smallest first value, growing as fast as the data.
    firsts = [points[factors[0]] for points in series.values() if points.get(factors[0], 0) > 0]
    if firsts:
        start = min(firsts)
        draw.line(
            [(x_of[f], y_of(start * f / factors[0])) for f in factors],
            fill="#b1b4b6",
            width=1,
        )
