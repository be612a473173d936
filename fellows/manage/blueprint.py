"""URLs of the organisers' fellows pages (under /organiser): fellows and invitations, requests to join,
the CSV import, organisations and topics; and the home-page count of requests waiting."""

from __future__ import annotations

from flask import Blueprint

from core.registry import HomeSection, NavEntry, home_sections, navigation
from core.throttling import costly, sends_mail
from fellows.manage import catalogue, imports, join_requests
from fellows.manage import fellows as fellow_pages

bp = Blueprint("fellows_manage", __name__, url_prefix="/organiser")
bp.add_url_rule("/fellows", "fellows", fellow_pages.fellows, methods=["GET"])
bp.add_url_rule("/fellows/invite", "invite", sends_mail(fellow_pages.invite), methods=["GET", "POST"])
bp.add_url_rule("/fellows/<int:user_id>/edit", "edit_fellow", fellow_pages.edit_fellow, methods=["GET", "POST"])
bp.add_url_rule(
    "/fellows/<int:user_id>/invitation", "send_invitation", sends_mail(fellow_pages.send_invitation), methods=["POST"]
)
bp.add_url_rule(
    "/fellows/<int:user_id>/invitation/revoke", "revoke_invitation", fellow_pages.revoke_invitation, methods=["POST"]
)
bp.add_url_rule("/fellows/<int:user_id>/deactivate", "deactivate", fellow_pages.deactivate, methods=["POST"])
bp.add_url_rule(
    "/fellows/<int:user_id>/two-step/off", "switch_off_two_step", fellow_pages.switch_off_two_step, methods=["POST"]
)
bp.add_url_rule("/fellows/<int:user_id>/reactivate", "reactivate", fellow_pages.reactivate, methods=["POST"])
bp.add_url_rule("/fellows/export.csv", "export_fellows", costly(fellow_pages.export_fellows), methods=["GET"])
bp.add_url_rule("/organisations", "organisations", catalogue.organisations, methods=["GET"])
bp.add_url_rule("/organisations/new", "new_organisation", catalogue.new_organisation, methods=["GET", "POST"])
bp.add_url_rule(
    "/organisations/<int:org_id>/edit", "edit_organisation", catalogue.edit_organisation, methods=["GET", "POST"]
)
bp.add_url_rule("/topics", "tags", catalogue.tags, methods=["GET", "POST"])
bp.add_url_rule("/topics/<int:tag_id>/edit", "edit_tag", catalogue.edit_tag, methods=["GET", "POST"])
bp.add_url_rule("/topics/<int:tag_id>/delete", "remove_tag", catalogue.remove_tag, methods=["POST"])
bp.add_url_rule("/import", "import_csv", costly(imports.import_csv, methods=["POST"]), methods=["GET", "POST"])
bp.add_url_rule("/import/confirm", "confirm_import", costly(imports.confirm_import), methods=["POST"])
bp.add_url_rule("/import/done", "import_done", imports.import_done, methods=["GET"])
bp.add_url_rule("/import/invite", "invite_imported", sends_mail(imports.invite_imported), methods=["POST"])
bp.add_url_rule("/join-requests", "join_requests", join_requests.join_requests, methods=["GET"])
bp.add_url_rule(
    "/join-requests/<int:request_id>/approve",
    "approve_join_request",
    sends_mail(join_requests.approve_join_request),
    methods=["POST"],
)
bp.add_url_rule(
    "/join-requests/<int:request_id>/decline",
    "decline_join_request",
    sends_mail(join_requests.decline_join_request),
    methods=["POST"],
)

home_sections.register("join_requests", HomeSection("fellows/manage/_home.html", join_requests.home_section), order=20)
navigation.register(
    "fellows_manage.fellows", NavEntry("Fellows", "fellows_manage.fellows", "organiser", menu="organiser"), order=40
)
navigation.register(
    "fellows_manage.join_requests",
    NavEntry("Join requests", "fellows_manage.join_requests", "organiser", menu="organiser"),
    order=90,
)
navigation.register(
    "fellows_manage.import_csv",
    NavEntry("Import fellows", "fellows_manage.import_csv", "organiser", menu="organiser"),
    order=100,
)
navigation.register(
    "fellows_manage.organisations",
    NavEntry("Organisations", "fellows_manage.organisations", "organiser", menu="organiser"),
    order=110,
)
navigation.register(
    "fellows_manage.tags", NavEntry("Topics", "fellows_manage.tags", "organiser", menu="organiser"), order=120
)
