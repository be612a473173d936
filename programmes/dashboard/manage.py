"""Organiser pages: the programme dashboard (every fellow, a cohort, or one fellow) and its CSV export."""

from __future__ import annotations

from flask import Response, render_template, request
from flask_login import current_user

from core import audit
from core.lib.csvsafe import write_csv
from core.models import utcnow
from core.permissions import organiser_required
from core.request_args import whole_number
from extensions import db
from programmes.dashboard.queries import CSV_HEADER, build, csv_rows


def _scope() -> tuple[int | None, int | None]:
    return whole_number(request.args.get("cohort")), whole_number(request.args.get("fellow"))


@organiser_required
def dashboard():
    """Meetings held, questions covered, acceptance rates per expert and department, experts most met."""
    cohort, fellow_id = _scope()
    board = build(utcnow(), cohort=cohort, fellow_id=fellow_id)
    return render_template(
        "programmes/dashboard.html", board=board, cohort=cohort, fellow_id=fellow_id, title="Programme dashboard"
    )


@organiser_required
def export_dashboard():
    """The per-fellow table as CSV (formula-safe), for the same cohort or fellow as the page."""
    cohort, fellow_id = _scope()
    board = build(utcnow(), cohort=cohort, fellow_id=fellow_id)
    body = write_csv(CSV_HEADER, csv_rows(board))
    filename = f"programme-{cohort or 'all'}-{utcnow():%Y-%m-%d}.csv"
    audit.record(
        current_user, "programme.exported", f"Programme dashboard of {len(board.fellows)} fellows ({filename})"
    )
    db.session.commit()
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})
