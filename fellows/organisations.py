"""The organisation page signed-in people see: what the organisation is and which fellows belong to it.

Other areas link here (event hosts, speakers' affiliations) with ``url_for('organisations.detail', org_id=...)``.
"""

from __future__ import annotations

from flask import render_template
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.permissions import can_view_profile
from extensions import db
from fellows.models import Organisation, User


def visible_fellows(organisation: Organisation, viewer) -> list[User]:
    """The organisation's listed fellows (joined, active) whose profiles ``viewer`` may see."""
    fellows = db.session.scalars(
        select(User)
        .where(
            User.organisation_id == organisation.id,
            User.role == "fellow",
            User.active.is_(True),
            User.password_hash.is_not(None),
        )
        .options(selectinload(User.interests))
        .order_by(User.name, User.id)
    )
    # The profile rule decides, exactly as on the profile pages themselves.
    return [fellow for fellow in fellows if can_view_profile(viewer, fellow)]


@login_required
def detail(org_id: int):
    """An organisation's page: kind, website and the fellows the viewer may see."""
    organisation = db.get_or_404(Organisation, org_id)
    return render_template(
        "organisations/detail.html",
        organisation=organisation,
        fellows=visible_fellows(organisation, current_user),
        title=organisation.name,
    )
