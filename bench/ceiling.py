"""The ceiling of the stack: a bare Flask app whose one route renders, from memory, a template of the byte
size asked for. Served by the same gunicorn settings as the app (``gunicorn bench.ceiling:app``), it
answers as fast as Flask, Jinja and gunicorn can on this machine: each page's throughput is compared
with it at the page's own size."""

from __future__ import annotations

from functools import lru_cache

from flask import Flask, render_template_string

app = Flask(__name__)

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main>{% for row in rows %}<p>{{ row }}</p>
{% endfor %}{{ tail }}</main></body></html>
"""
ROW = "Policy lunch: evidence, data and the state & what comes next <with questions>"  # escaped: 98 bytes


@lru_cache(maxsize=256)
def _content(size: int) -> tuple[list[str], str]:
    """Rows (and a tail) that make the rendered template ``size`` bytes long."""
    empty = len(render_template_string(TEMPLATE, title="Ceiling", rows=[], tail="").encode())
    row = len(render_template_string(TEMPLATE, title="Ceiling", rows=[ROW], tail="").encode()) - empty
    count = max(0, (size - empty) // row)
    return [ROW] * count, "x" * max(0, size - empty - count * row)


@app.get("/<int:size>")
def page(size: int):
    rows, tail = _content(min(size, 20_000_000))
    return render_template_string(TEMPLATE, title="Ceiling", rows=rows, tail=tail)
