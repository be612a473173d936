"""URLs of the fellows area (accounts, profiles and the directory, organisation pages), and what the
area contributes to core: the demo fellows and the ``users`` command."""

from __future__ import annotations

from flask import Blueprint

from core.personal_pages import personal_pages
from core.registry import (
    NavEntry,
    ScheduledJob,
    audit_labels,
    cli_commands,
    demo_loaders,
    live_data_checks,
    navigation,
    organiser_alerts,
    scheduled_jobs,
    uncached_tables,
)
from core.throttling import costly
from extensions import csrf
from fellows import alerts, auth, demo, organisations, views
from fellows.cli import digest_command, digest_job, users_cli
from fellows.models import ORGANISER_ALERTS
from fellows.two_step import views as two_step_views

auth_bp = Blueprint("auth", __name__)
auth_bp.add_app_template_global(ORGANISER_ALERTS, "organiser_alert_choices")
auth_bp.add_url_rule("/login", "login", auth.login, methods=["GET", "POST"])
auth_bp.add_url_rule("/logout", "logout", auth.logout, methods=["POST"])
# Two-step sign-in: the code after the password, and the person's own settings (fellows.two_step).
auth_bp.add_url_rule("/login/code", "two_step_code", two_step_views.code, methods=["GET", "POST"])
auth_bp.add_url_rule("/account/two-step", "two_step", two_step_views.settings, methods=["GET"])
auth_bp.add_url_rule("/account/two-step/on", "two_step_on", two_step_views.switch_on, methods=["POST"])
auth_bp.add_url_rule("/account/two-step/off", "two_step_off", two_step_views.switch_off, methods=["POST"])
auth_bp.add_url_rule("/account/two-step/codes", "two_step_codes", two_step_views.new_codes, methods=["POST"])
auth_bp.add_url_rule(
    "/account/two-step/forget-devices", "two_step_forget_devices", two_step_views.forget_devices, methods=["POST"]
)
auth_bp.before_app_request(two_step_views.require_for_organisers)
auth_bp.add_url_rule("/password/forgot", "forgot_password", auth.forgot_password, methods=["GET", "POST"])
# A private link from an email, then the clean address it is swapped for (core.private_links).
auth_bp.add_url_rule("/password/reset/<token>", "reset_password", auth.reset_password, methods=["GET", "POST"])
auth_bp.add_url_rule("/password/reset", "reset_password", auth.reset_password, methods=["GET", "POST"])
auth_bp.add_url_rule("/invitation/<token>", "accept_invitation", auth.accept_invitation, methods=["GET", "POST"])
auth_bp.add_url_rule("/invitation", "accept_invitation", auth.accept_invitation, methods=["GET", "POST"])
auth_bp.add_url_rule("/join", "join", auth.join, methods=["GET", "POST"])
auth_bp.add_url_rule("/account", "account", auth.account, methods=["GET", "POST"])
auth_bp.add_url_rule("/account/export", "export_data", costly(auth.export_data), methods=["POST"])
auth_bp.add_url_rule("/account/delete", "delete_account", auth.delete_account, methods=["POST"])
# RFC 8058: a mail client's one-click POST carries no session and no CSRF token; the token in the path is the proof.
auth_bp.add_url_rule("/unsubscribe/<token>", "unsubscribe", csrf.exempt(auth.unsubscribe), methods=["GET", "POST"])
auth_bp.add_url_rule("/account/email-preferences", "email_preferences", auth.email_preferences, methods=["POST"])

fellows_bp = Blueprint("fellows", __name__)
fellows_bp.add_url_rule("/fellows", "directory", costly(views.directory, searches_only=True), methods=["GET"])
fellows_bp.add_url_rule("/fellows/<int:user_id>", "profile", views.profile, methods=["GET"])
# Kept per person between changes (core.personal_pages).
personal_pages.register("fellows.directory", "the directory and its searches")
personal_pages.register("fellows.profile", "a fellow's profile")
fellows_bp.add_url_rule("/fellows/<int:user_id>/photo", "photo", views.photo, methods=["GET"])
fellows_bp.add_url_rule("/profile", "my_profile", views.my_profile, methods=["GET"])
fellows_bp.add_url_rule("/profile/edit", "edit_profile", views.edit_profile, methods=["GET", "POST"])

organisations_bp = Blueprint("organisations", __name__)
organisations_bp.add_url_rule("/organisations/<int:org_id>", "detail", organisations.detail, methods=["GET"])

demo_loaders.register("fellows", demo.load, order=10)
live_data_checks.register("fellows", demo.real_accounts)
cli_commands.register("users", users_cli)
cli_commands.register("digest", digest_command)
scheduled_jobs.register("digest", ScheduledJob(digest_job, at="07:00"), order=40)
organiser_alerts.register("Requests to join", alerts.join_request_alerts, order=10)
navigation.register("fellows.directory", NavEntry("Fellows", "fellows.directory", "signed_in"), order=30)
navigation.register("fellows.my_profile", NavEntry("My profile", "fellows.my_profile", "fellow"), order=60)
navigation.register("auth.account", NavEntry("Account", "auth.account", "signed_in"), order=80)

# What this area records in the audit log, and the tables it writes that no cached answer reads.
for action, text in {
    "account.deleted": "Account deleted by its owner",
    "fellow.deactivated": "Fellow deactivated",
    "fellow.reactivated": "Fellow reactivated",
    "fellow.email_changed": "Fellow's email address changed",
    "fellows.exported": "Fellows list downloaded",
    "fellows.imported": "Fellows imported from CSV",
    "invitation.revoked": "Account invitation revoked",
    "join_request.approved": "Join request approved",
    "join_request.declined": "Join request declined",
    "tag.removed": "Topic removed",
    "two_step.on": "Two-step sign-in switched on",
    "two_step.off": "Two-step sign-in switched off by its owner",
    "two_step.reset": "Two-step sign-in switched off by an organiser",
    "two_step.codes": "New recovery codes made",
}.items():
    audit_labels.register(action, text)
for table, why in {
    "account_tokens": "joining and reset links",
    "recovery_codes": "two-step recovery codes",
}.items():
    uncached_tables.register(table, why)
