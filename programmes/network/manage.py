"""Organiser page: the network picture of the programme, a cohort or one fellow (who met whom; fields and
departments covered and thin), with its charts drawn on the server."""

from __future__ import annotations

from flask import render_template, request
from markupsafe import Markup

from core.lib.charts import stacked_bars
from core.models import utcnow
from core.permissions import organiser_required
from core.request_args import whole_number
from programmes.network.queries import THIN_MET, THIN_POOL, Coverage, Network, build


def _chart(network: Network, rows: list[Coverage], title: str) -> Markup | None:
    drawn = network.chart_rows(rows)
    if not drawn:
        return None
    return Markup(  # noqa: S704 - pygal writes the SVG with an XML serialiser, which escapes every label
        stacked_bars(
            title,
            [c.label for c in drawn],
            {"Held": [c.held for c in drawn], "Planned": [c.planned for c in drawn]},
        )
    )


@organiser_required
def network():
    """Who met whom, and which fields and departments are covered and which are thin."""
    cohort, fellow_id = whole_number(request.args.get("cohort")), whole_number(request.args.get("fellow"))
    picture = build(utcnow(), cohort=cohort, fellow_id=fellow_id)
    scope = picture.fellows[0].name if fellow_id is not None and picture.fellows else None
    return render_template(
        "programmes/network.html",
        network=picture,
        cohort=cohort,
        fellow_id=fellow_id,
        fellow_name=scope,
        fields_chart=_chart(picture, picture.fields, "Meetings by field"),
        departments_chart=_chart(picture, picture.departments, "Meetings by department"),
        thin_met=THIN_MET,
        thin_pool=THIN_POOL,
        title="Network picture",
    )
