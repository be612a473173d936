"""URLs of the events area: the events list and pages, bookings, and the organisers' event and attendee
pages; and what events contribute to core (home-page section, data export, demo events, reminders)."""

from __future__ import annotations

from flask import Blueprint

from core.caching import SharedPage, shared_pages
from core.personal_pages import page_moments, personal_pages
from core.registry import (
    HomeSection,
    NavEntry,
    ScheduledJob,
    account_erasers,
    audit_labels,
    cli_commands,
    data_export,
    demo_loaders,
    home_sections,
    navigation,
    retention_purges,
    scheduled_jobs,
)
from core.throttling import costly, sends_mail
from events import demo, freshness, home, manage, views
from events.bookings import attendees, checkin, exports, messages, printouts, retention
from events.bookings import services as booking_services
from events.bookings import views as booking_views
from events.cli import reminders_command, reminders_job
from events.display import event_when, event_where
from events.presenters import organisation_url

bp = Blueprint("events", __name__)
bp.add_app_template_global(event_when)
bp.add_app_template_global(event_where)
bp.add_app_template_global(organisation_url)

bp.add_url_rule("/events", "index", costly(views.index, searches_only=True), methods=["GET"])
bp.add_url_rule("/events/<int:event_id>", "detail", views.detail, methods=["GET"])
bp.add_url_rule("/events/<int:event_id>/book", "book", booking_views.book, methods=["POST"])
bp.add_url_rule(
    "/events/<int:event_id>/decline", "decline_invitation", booking_views.decline_invitation, methods=["POST"]
)
bp.add_url_rule("/bookings/<int:booking_id>/cancel", "cancel_booking", booking_views.cancel_booking, methods=["POST"])
bp.add_url_rule("/my/bookings", "my_bookings", booking_views.my_bookings, methods=["GET"])
bp.add_url_rule("/organiser/events", "manage", manage.manage, methods=["GET"])
bp.add_url_rule("/organiser/events/new", "create", manage.create, methods=["GET", "POST"])
bp.add_url_rule("/organiser/events/<int:event_id>/edit", "edit", manage.edit, methods=["GET", "POST"])
bp.add_url_rule("/organiser/events/<int:event_id>/publish", "publish", manage.publish, methods=["POST"])
bp.add_url_rule("/organiser/events/<int:event_id>/cancel", "cancel", manage.cancel, methods=["GET", "POST"])
bp.add_url_rule("/organiser/events/<int:event_id>/duplicate", "duplicate", manage.duplicate, methods=["POST"])
bp.add_url_rule("/organiser/events/<int:event_id>/delete", "delete", manage.delete, methods=["POST"])
bp.add_url_rule("/organiser/events/<int:event_id>/history", "history", manage.history, methods=["GET"])
bp.add_url_rule("/organiser/events/<int:event_id>/invitations", "invitations", manage.invitations, methods=["GET"])
bp.add_url_rule("/organiser/events/<int:event_id>/invitations", "invite", sends_mail(manage.invite), methods=["POST"])
bp.add_url_rule(
    "/organiser/events/<int:event_id>/invitations/interest", "invite_interest", manage.invite_interest, methods=["POST"]
)
bp.add_url_rule(
    "/organiser/invitations/<int:invitation_id>/withdraw",
    "withdraw_invitation",
    manage.withdraw_invitation,
    methods=["POST"],
)
bp.add_url_rule("/organiser/events/<int:event_id>/attendees", "attendees", attendees.attendees, methods=["GET"])
bp.add_url_rule(
    "/organiser/events/<int:event_id>/attendees.csv",
    "export_attendees",
    costly(exports.export_attendees),
    methods=["GET"],
)
bp.add_url_rule(
    "/organiser/events/<int:event_id>/catering.csv", "export_catering", exports.export_catering, methods=["GET"]
)
bp.add_url_rule("/organiser/events/<int:event_id>/messages", "messages", messages.messages, methods=["GET", "POST"])
bp.add_url_rule(
    "/organiser/events/<int:event_id>/messages/send",
    "send_message",
    sends_mail(messages.send_message),
    methods=["POST"],
)
bp.add_url_rule(
    "/organiser/events/<int:event_id>/attendees/add", "add_booking", attendees.add_booking, methods=["POST"]
)
bp.add_url_rule(
    "/organiser/events/<int:event_id>/capacity", "change_capacity", attendees.change_capacity, methods=["POST"]
)
bp.add_url_rule(
    "/organiser/bookings/<int:booking_id>/remove", "remove_booking", attendees.remove_booking, methods=["POST"]
)
bp.add_url_rule(
    "/organiser/bookings/<int:booking_id>/promote", "promote_booking", attendees.promote_booking, methods=["POST"]
)
bp.add_url_rule(
    "/organiser/bookings/<int:booking_id>/attendance",
    "record_attendance",
    attendees.record_attendance,
    methods=["POST"],
)

bp.add_url_rule("/organiser/events/<int:event_id>/check-in", "check_in", checkin.check_in, methods=["GET"])
bp.add_url_rule(
    "/organiser/bookings/<int:booking_id>/check-in", "check_in_booking", checkin.check_in_booking, methods=["POST"]
)
bp.add_url_rule(
    "/organiser/events/<int:event_id>/sign-in-sheet.pdf", "sign_in_sheet", printouts.sign_in_sheet, methods=["GET"]
)
bp.add_url_rule("/organiser/events/<int:event_id>/badges.pdf", "badges", costly(printouts.badges), methods=["GET"])

home_sections.register("organiser_events", HomeSection("events/_home_organiser.html", home.organiser_section), order=10)
home_sections.register("my_events", HomeSection("events/_home_mine.html", home.mine_section), order=10)
home_sections.register(
    "recommended_events", HomeSection("events/_home_recommended.html", home.recommended_section), order=11
)
home_sections.register("events", HomeSection("events/_home.html", home.home_section), order=12)
data_export.register("bookings", booking_services.export_bookings)
data_export.register("event_invitations", booking_services.export_invitations)
account_erasers.register("bookings", retention.erase_bookings)
retention_purges.register("booking answers", retention.purge_booking_answers)
demo_loaders.register("events", demo.load, order=20)
cli_commands.register("reminders", reminders_command)
scheduled_jobs.register("reminders", ScheduledJob(reminders_job, minutes=5), order=20)
# Pages every anonymous visitor sees alike: 304s and kept bodies (core.caching). The home page lists
# upcoming events, so it changes with them too.
for endpoint in ("events.index", "events.detail", "core.home"):
    shared_pages.register(endpoint, SharedPage(next_change=freshness.next_change))
# Signed-in pages kept per person between changes (core.personal_pages); they change with the events' moments
# too, drafts included (an organiser sees those).
page_moments.register("events", freshness.next_change_of_any_event)
for endpoint, what in {
    "events.my_bookings": "My bookings",
    "events.attendees": "an event's attendee list",
    "events.check_in": "an event's check-in",
}.items():
    personal_pages.register(endpoint, what)
navigation.register("events.index", NavEntry("Events", "events.index", "all"), order=10)
navigation.register("events.my_bookings", NavEntry("My bookings", "events.my_bookings", "signed_in"), order=40)
navigation.register(
    "events.manage", NavEntry("Manage events", "events.manage", "organiser", menu="organiser"), order=10
)

# What this area records in the audit log, and the tables it writes that no cached answer reads.
for action, text in {
    "booking.added": "Place added by an organiser",
    "booking.removed": "Booking removed by an organiser",
    "attendees.exported": "Attendee list downloaded (names and answers)",
    "attendees.printed": "Sign-in sheet or badges downloaded (names)",
    "event.cancelled": "Event cancelled",
    "event.deleted": "Draft event deleted",
    "event_invitation.withdrawn": "Event invitation withdrawn",
}.items():
    audit_labels.register(action, text)
