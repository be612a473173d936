"""URLs of write-ups: reading (list, page, feed, images, review links) and the organisers' pages; with
the home-page section of the latest write-ups and the demo write-ups."""

from __future__ import annotations

from flask import Blueprint

from core.caching import SharedPage, shared_pages
from core.registry import (
    HomeSection,
    NavEntry,
    PagePart,
    account_erasers,
    audit_labels,
    data_export,
    demo_loaders,
    home_sections,
    navigation,
    organiser_alerts,
    page_parts,
    uncached_tables,
)
from core.throttling import costly, sends_mail
from writeups import demo, home, listing, manage, reviews, services, views, workflow

bp = Blueprint("notes", __name__)
bp.add_app_template_global(listing.visible_event_notes)
bp.add_url_rule("/notes", "index", costly(views.index, searches_only=True), methods=["GET"])
bp.add_url_rule("/notes/<int:note_id>", "detail", views.detail, methods=["GET"])
bp.add_url_rule("/notes/<int:note_id>/image", "image", views.image, methods=["GET"])
bp.add_url_rule("/notes/feed.atom", "feed", views.feed, methods=["GET"])
# A reviewer's private link, then the clean address it is swapped for (core.private_links).
bp.add_url_rule("/review/<token>", "review", views.review, methods=["GET", "POST"])
bp.add_url_rule("/review/links/<int:link_id>", "review", views.review, methods=["GET", "POST"])
bp.add_url_rule("/review/links/<int:link_id>/image", "review_image", views.review_image, methods=["GET"])
bp.add_url_rule("/organiser/notes", "manage", manage.manage, methods=["GET"])
bp.add_url_rule("/organiser/notes/new", "choose_event", manage.choose_event, methods=["GET"])
bp.add_url_rule("/organiser/events/<int:event_id>/notes/new", "create", manage.create, methods=["GET", "POST"])
bp.add_url_rule("/organiser/notes/new/<kind>/<int:subject_id>", "create_about", manage.create_about, methods=["POST"])
bp.add_url_rule("/organiser/notes/<int:note_id>/edit", "edit", manage.edit, methods=["GET", "POST"])
bp.add_url_rule("/organiser/notes/<int:note_id>/preview", "preview", manage.preview, methods=["GET"])
bp.add_url_rule("/organiser/notes/<int:note_id>", "note", workflow.note_page, methods=["GET"])
bp.add_url_rule("/organiser/notes/<int:note_id>/submit", "submit", workflow.submit, methods=["POST"])
bp.add_url_rule("/organiser/notes/<int:note_id>/unpublish", "unpublish", workflow.unpublish, methods=["POST"])
bp.add_url_rule("/organiser/notes/<int:note_id>/publish", "publish", workflow.publish, methods=["POST"])
bp.add_url_rule(
    "/organiser/notes/<int:note_id>/review-links",
    "create_review_link",
    sends_mail(workflow.create_review_link),
    methods=["POST"],
)
bp.add_url_rule(
    "/organiser/notes/<int:note_id>/review-links/<int:link_id>/revoke",
    "revoke_review_link",
    workflow.revoke_review_link,
    methods=["POST"],
)
bp.add_url_rule("/organiser/notes/<int:note_id>/revisions", "revisions", workflow.revisions, methods=["GET"])
bp.add_url_rule(
    "/organiser/notes/<int:note_id>/revisions/<int:revision_id>/restore", "restore", workflow.restore, methods=["POST"]
)

home_sections.register("notes", HomeSection("writeups/_home.html", views.home_section), order=30)
home_sections.register("notes_in_review", HomeSection("writeups/_home_review.html", home.review_section), order=15)
demo_loaders.register("notes", demo.load, order=30)
data_export.register("review_links", reviews.export_review_links)
account_erasers.register("review_links", reviews.erase_review_links)
# Before the programme's eraser (order 60), while the fellow's visits and questions are still there.
account_erasers.register("writeups", services.erase_person, order=40)
organiser_alerts.register("Reviewers' answers to draft write-ups", reviews.review_response_alerts, order=20)
# Pages every anonymous visitor sees alike: 304s and kept bodies (core.caching).
for endpoint in ("notes.index", "notes.detail", "notes.feed"):
    shared_pages.register(endpoint, SharedPage())
navigation.register("notes.index", NavEntry("Write-ups", "notes.index", "all"), order=20)
navigation.register(
    "notes.manage", NavEntry("Manage write-ups", "notes.manage", "organiser", menu="organiser"), order=20
)
page_parts.register("event write-ups", PagePart("event page", "writeups/_event_notes.html"))

# What this area records in the audit log, and the tables it writes that no cached answer reads.
for action, text in {
    "note.unpublished": "Write-up unpublished",
    "review_link.revoked": "Review link withdrawn",
}.items():
    audit_labels.register(action, text)
for table, why in {
    "note_draft_stashes": "kept drafts of the editor",
}.items():
    uncached_tables.register(table, why)
