"""Organiser pages of the outcomes: every fellow's impact records as CSV."""

from __future__ import annotations

from flask import Response
from flask_login import current_user

from core import audit
from core.lib.csvsafe import write_csv
from core.permissions import organiser_required
from core.timeutil import local_today
from extensions import db
from programmes.outcomes.queries import IMPACT_CSV_HEADER, impact_csv_rows


@organiser_required
def export_impact():
    """Every impact record, one row each (formula-safe), for a research-impact return; the download is audited."""
    rows = impact_csv_rows()
    filename = f"impact-records-{local_today():%Y-%m-%d}.csv"
    audit.record(current_user, "programme.exported", f"Impact records: {len(rows)} ({filename})")
    db.session.commit()
    body = write_csv(IMPACT_CSV_HEADER, rows)
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})
