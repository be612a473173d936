"""URLs of calendars: the public and personal feeds, an event's .ics, "My calendar", and the organisers'
.ics import; with the template helpers that build "Add to calendar" links."""

from __future__ import annotations

from flask import Blueprint

from core.registry import NavEntry, navigation
from core.throttling import costly
from events.calendar import manage, views

bp = Blueprint("calendar", __name__)
bp.add_app_template_global(views.calendar_links)
bp.add_app_template_global(views.public_feed_links)
bp.add_url_rule("/calendar.ics", "public_feed", views.public_feed, methods=["GET"])
bp.add_url_rule("/calendar/<token>.ics", "personal_feed", views.personal_feed, methods=["GET"])
bp.add_url_rule("/events/<int:event_id>/event.ics", "event_ics", views.event_ics, methods=["GET"])
bp.add_url_rule("/my/calendar", "mine", views.mine, methods=["GET"])
bp.add_url_rule("/my/calendar/reset", "reset_link", views.reset_link, methods=["POST"])
bp.add_url_rule("/my/calendar/settings", "settings", views.settings, methods=["POST"])

import_bp = Blueprint("calendar_import", __name__)
import_bp.add_url_rule(
    "/organiser/events/import", "upload", costly(manage.upload, methods=["POST"]), methods=["GET", "POST"]
)
import_bp.add_url_rule("/organiser/events/import/confirm", "confirm", costly(manage.confirm), methods=["POST"])
navigation.register("calendar.mine", NavEntry("My calendar", "calendar.mine", "signed_in"), order=50)
navigation.register(
    "calendar_import.upload",
    NavEntry("Import events", "calendar_import.upload", "organiser", menu="organiser"),
    order=30,
)
