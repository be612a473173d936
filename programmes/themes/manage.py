"""Organiser page: proposed workshop and conference themes from the current fellows' questions, each with
its fellows and the experts who fit, and a link that starts the event from it."""

from __future__ import annotations

from flask import render_template

from core.permissions import organiser_required
from core.timeutil import local_today
from programmes.themes.queries import MIN_FELLOWS, build


@organiser_required
def themes():
    return render_template(
        "programmes/themes.html", found=build(local_today()), min_fellows=MIN_FELLOWS, title="Workshop themes"
    )
