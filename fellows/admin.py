"""Organiser pages for the fellowship: every fellow, invitations, requests to join, CSV import,
organisations and the topic vocabulary."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from sqlalchemy import or_, select

from core.permissions import organiser_required
from extensions import db
from fellows.models import Organisation, User

bp = Blueprint("fellows_admin", __name__, url_prefix="/organiser")


@bp.get("/fellows")
@organiser_required
def fellows():
    """Every fellow account, whatever its visibility or state (invited, active, deactivated)."""
    q = request.args.get("q", "").strip()
    query = select(User).outerjoin(User.organisation).where(User.role == "fellow").order_by(User.name, User.id)
    if q:
        pattern = f"%{q}%"
        query = query.where(or_(User.name.ilike(pattern), User.email.ilike(pattern), Organisation.name.ilike(pattern)))
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"] * 2, error_out=False)
    return render_template("fellows_admin/fellows.html", page=page, q=q, title="All fellows")
