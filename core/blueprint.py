"""URLs of core's pages: the home page (sections from core.registry), the privacy notice and the
organisers' mail outbox and audit log."""

from __future__ import annotations

from flask import Blueprint

from core import views
from core.personal_pages import personal_pages
from core.registry import HomeSection, NavEntry, home_sections, navigation

bp = Blueprint("core", __name__)
bp.add_url_rule("/", "home", views.home, methods=["GET"])
bp.add_url_rule("/privacy", "privacy", views.privacy, methods=["GET"])
bp.add_url_rule("/.well-known/security.txt", "security_txt", views.security_txt, methods=["GET"])
bp.add_url_rule("/organiser/outbox", "outbox", views.outbox_page, methods=["GET"])
bp.add_url_rule("/organiser/outbox/<int:message_id>/retry", "retry", views.retry, methods=["POST"])
bp.add_url_rule(
    "/organiser/outbox/undeliverable/<int:suppression_id>/clear",
    "clear_undeliverable",
    views.clear_undeliverable,
    methods=["POST"],
)
bp.add_url_rule("/organiser/audit", "audit_log", views.audit_log, methods=["GET"])

# Kept per person between changes (core.personal_pages). An organiser's home counts the emails not delivered:
# the outbox makes no new generation, but core.mail announces each email entering or leaving those states.
personal_pages.register("core.home", "the home page")
personal_pages.register("core.privacy", "the privacy notice")
home_sections.register("failed_emails", HomeSection("core/_home_outbox.html", views.outbox_section), order=22)
navigation.register("core.outbox", NavEntry("Outbox", "core.outbox", "organiser", menu="organiser"), order=130)
navigation.register("core.audit_log", NavEntry("Audit log", "core.audit_log", "organiser", menu="organiser"), order=140)
