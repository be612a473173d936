"""URLs of the fellowship programme (a fellow's programme and questions; the organisers' tenures) and
what the area contributes to core: home-page sections."""

from __future__ import annotations

from flask import Blueprint

from core.personal_pages import page_moments, personal_pages
from core.registry import (
    CalendarPart,
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
    organiser_alerts,
    personal_calendar,
    retention_purges,
    scheduled_jobs,
)
from core.throttling import costly, sends_mail
from programmes import demo, freshness
from programmes.briefs import services as brief_services
from programmes.briefs import views as brief_views
from programmes.cli import (
    expert_embeddings_command,
    expert_embeddings_job,
    expert_reminders_command,
    expert_reminders_job,
    follow_up_nudges_command,
    follow_up_nudges_job,
)
from programmes.dashboard import manage as dashboard_manage
from programmes.experts import manage as experts_manage
from programmes.network import manage as network_manage
from programmes.outcomes import manage as outcomes_manage
from programmes.outcomes import notifications as outcome_notifications
from programmes.outcomes import queries as outcome_queries
from programmes.outcomes import services as outcome_services
from programmes.outcomes import views as outcome_views
from programmes.rapid import manage as rapid_manage
from programmes.rapid import notifications as rapid_notifications
from programmes.rapid import services as rapid_services
from programmes.rapid import views as rapid_views
from programmes.tenures import manage, services, views
from programmes.themes import manage as themes_manage
from programmes.visits import invitations
from programmes.visits import manage as visits_manage
from programmes.visits import notifications as visit_notifications
from programmes.visits.timetable import manage as timetable_manage
from programmes.visits.timetable import queries as meetings
from programmes.visits.views import experts as expert_views
from programmes.visits.views import itinerary

bp = Blueprint("programmes", __name__)
bp.add_url_rule("/programme", "mine", views.my_programme, methods=["GET"])
bp.add_url_rule("/programme/fellows/<int:fellow_id>", "questions", views.questions, methods=["GET", "POST"])
bp.add_url_rule(
    "/programme/questions/<int:question_id>/edit", "edit_question", views.edit_question, methods=["GET", "POST"]
)
bp.add_url_rule(
    "/programme/questions/<int:question_id>/delete", "remove_question", views.remove_question, methods=["POST"]
)

bp.add_url_rule("/programme/fellows/<int:fellow_id>/brief", "brief", brief_views.brief, methods=["GET", "POST"])
bp.add_url_rule(
    "/programme/fellows/<int:fellow_id>/brief/issue", "issue_brief", brief_views.issue_brief, methods=["POST"]
)

bp.add_url_rule("/programme/visits/<int:visit_id>", "itinerary", itinerary.itinerary, methods=["GET"])
bp.add_url_rule(
    "/programme/visits/<int:visit_id>/itinerary.pdf", "itinerary_pdf", itinerary.itinerary_pdf, methods=["GET"]
)
bp.add_url_rule(
    "/programme/meetings/<int:meeting_id>/feedback", "rate_meeting", itinerary.rate_meeting, methods=["POST"]
)
bp.add_url_rule(
    "/programme/meetings/<int:meeting_id>/follow-ups", "add_follow_up", itinerary.add_follow_up, methods=["POST"]
)
bp.add_url_rule(
    "/programme/follow-ups/<int:follow_up_id>/edit",
    "edit_follow_up",
    itinerary.edit_follow_up,
    methods=["GET", "POST"],
)
for rule, endpoint, view in (
    ("done", "mark_follow_up_done", itinerary.mark_follow_up_done),
    ("reopen", "reopen_follow_up", itinerary.reopen_follow_up),
    ("delete", "remove_follow_up", itinerary.remove_follow_up),
):
    bp.add_url_rule(f"/programme/follow-ups/<int:follow_up_id>/{rule}", endpoint, view, methods=["POST"])
bp.add_url_rule("/programme/fellows/<int:fellow_id>/impact", "impact", outcome_views.impact, methods=["GET", "POST"])
bp.add_url_rule(
    "/programme/fellows/<int:fellow_id>/impact.pdf", "impact_story", outcome_views.impact_story, methods=["GET"]
)
bp.add_url_rule(
    "/programme/impact/<int:record_id>/edit", "edit_impact", outcome_views.edit_impact, methods=["GET", "POST"]
)
bp.add_url_rule(
    "/programme/impact/<int:record_id>/delete", "remove_impact", outcome_views.remove_impact, methods=["POST"]
)
bp.add_url_rule("/programme/impact/<int:record_id>/quotes", "add_quote", outcome_views.add_quote, methods=["POST"])
bp.add_url_rule(
    "/programme/impact-quotes/<int:quote_id>/delete", "remove_quote", outcome_views.remove_quote, methods=["POST"]
)
# The expert's private link: no account; the token is the only key. Opened, it is swapped for the session
# and a clean address that names only the invitation (core.private_links).
# A calendar upload or free/busy address (the server fetches it) counts against the per-address limit.
expert_calendar = costly(expert_views.expert_calendar)
bp.add_url_rule("/expert/<token>", "expert_invitation", expert_views.expert_invitation, methods=["GET", "POST"])
bp.add_url_rule("/expert/<token>/remove", "expert_remove_me", expert_views.remove_me, methods=["POST"])
bp.add_url_rule("/expert/<token>/feedback", "expert_feedback", expert_views.expert_feedback, methods=["POST"])
bp.add_url_rule("/expert/<token>/calendar", "expert_calendar", expert_calendar, methods=["POST"])
bp.add_url_rule(
    "/expert/<token>/stories/<int:record_id>/withhold",
    "withhold_story_name",
    expert_views.withhold_story_name,
    methods=["POST"],
)
bp.add_url_rule(
    "/expert/<token>/stories/<int:record_id>/name", "name_in_story", expert_views.name_in_story, methods=["POST"]
)
bp.add_url_rule(
    "/expert/<token>/calendar/confirm",
    "expert_calendar_confirm",
    expert_views.expert_calendar_confirm,
    methods=["POST"],
)
for rule, endpoint, view, methods in (
    ("", "expert_invitation", expert_views.expert_invitation, ["GET", "POST"]),
    ("/remove", "expert_remove_me", expert_views.remove_me, ["POST"]),
    ("/feedback", "expert_feedback", expert_views.expert_feedback, ["POST"]),
    ("/calendar", "expert_calendar", expert_calendar, ["POST"]),
    ("/calendar/confirm", "expert_calendar_confirm", expert_views.expert_calendar_confirm, ["POST"]),
    ("/stories/<int:record_id>/withhold", "withhold_story_name", expert_views.withhold_story_name, ["POST"]),
    ("/stories/<int:record_id>/name", "name_in_story", expert_views.name_in_story, ["POST"]),
):
    bp.add_url_rule(f"/expert/invitations/<int:invitation_id>{rule}", endpoint, view, methods=methods)

# A rapid-response panel member's private link, swapped on first use like the invitation's.
bp.add_url_rule("/panel/<token>", "panel_answer", rapid_views.panel_answer, methods=["GET", "POST"])
bp.add_url_rule("/panel/answers/<int:member_id>", "panel_answer", rapid_views.panel_answer, methods=["GET", "POST"])

manage_bp = Blueprint("programmes_manage", __name__, url_prefix="/organiser")
manage_bp.add_url_rule("/rapid", "rapid_questions", rapid_manage.rapid_questions, methods=["GET"])
manage_bp.add_url_rule("/rapid/new", "new_rapid_question", rapid_manage.new_rapid_question, methods=["GET", "POST"])
manage_bp.add_url_rule("/rapid/<int:rapid_id>", "rapid_question", rapid_manage.rapid_question, methods=["GET"])
manage_bp.add_url_rule("/rapid/<int:rapid_id>/panel", "add_to_panel", rapid_manage.add_to_panel, methods=["POST"])
manage_bp.add_url_rule(
    "/panel-members/<int:member_id>/remove", "remove_panel_member", rapid_manage.remove_panel_member, methods=["POST"]
)
manage_bp.add_url_rule("/rapid/<int:rapid_id>/ask", "ask_panel", sends_mail(rapid_manage.ask_panel), methods=["POST"])
manage_bp.add_url_rule(
    "/rapid/<int:rapid_id>/thank", "thank_panel", sends_mail(rapid_manage.thank_panel), methods=["POST"]
)
manage_bp.add_url_rule("/tenures", "tenures", manage.tenures, methods=["GET"])
manage_bp.add_url_rule("/tenures/new", "new_appointment", manage.new_appointment, methods=["GET", "POST"])
manage_bp.add_url_rule(
    "/tenures/<int:appointment_id>/edit", "edit_appointment", manage.edit_appointment, methods=["GET", "POST"]
)
manage_bp.add_url_rule("/experts", "experts", costly(experts_manage.experts, searches_only=True), methods=["GET"])
manage_bp.add_url_rule("/experts/new", "new_expert", experts_manage.new_expert, methods=["GET", "POST"])
manage_bp.add_url_rule(
    "/experts/<int:expert_id>/edit", "edit_expert", experts_manage.edit_expert, methods=["GET", "POST"]
)
manage_bp.add_url_rule("/experts/<int:expert_id>/merge", "merge_expert", experts_manage.merge_expert, methods=["POST"])
manage_bp.add_url_rule(
    "/experts/import",
    "import_experts",
    costly(experts_manage.import_experts, methods=["POST"]),
    methods=["GET", "POST"],
)
manage_bp.add_url_rule(
    "/experts/import/confirm", "confirm_expert_import", experts_manage.confirm_expert_import, methods=["POST"]
)

manage_bp.add_url_rule("/visits", "visits", visits_manage.visits, methods=["GET"])
manage_bp.add_url_rule("/programme-dashboard", "dashboard", dashboard_manage.dashboard, methods=["GET"])
manage_bp.add_url_rule(
    "/programme-dashboard.csv", "export_dashboard", dashboard_manage.export_dashboard, methods=["GET"]
)
manage_bp.add_url_rule("/programme-network", "network", network_manage.network, methods=["GET"])
manage_bp.add_url_rule("/workshop-themes", "themes", themes_manage.themes, methods=["GET"])
manage_bp.add_url_rule("/impact.csv", "export_impact", costly(outcomes_manage.export_impact), methods=["GET"])
manage_bp.add_url_rule("/visits/new", "new_visit", visits_manage.new_visit, methods=["GET", "POST"])
manage_bp.add_url_rule("/visits/<int:visit_id>", "visit", visits_manage.visit, methods=["GET"])
manage_bp.add_url_rule("/visits/<int:visit_id>/edit", "edit_visit", visits_manage.edit_visit, methods=["GET", "POST"])
manage_bp.add_url_rule("/visits/<int:visit_id>/long-list", "add_to_list", visits_manage.add_to_list, methods=["POST"])
manage_bp.add_url_rule("/visits/<int:visit_id>/targets", "save_targets", visits_manage.save_targets, methods=["POST"])
manage_bp.add_url_rule(
    "/visits/<int:visit_id>/invite", "send_invitations", sends_mail(visits_manage.send_invitations), methods=["POST"]
)
manage_bp.add_url_rule("/visits/<int:visit_id>/timetable", "timetable", timetable_manage.timetable, methods=["GET"])
manage_bp.add_url_rule("/visits/<int:visit_id>/timetable/solve", "solve", timetable_manage.solve, methods=["POST"])
manage_bp.add_url_rule(
    "/visits/<int:visit_id>/travel-times", "travel_time", timetable_manage.travel_time, methods=["POST"]
)
manage_bp.add_url_rule("/meetings/<int:meeting_id>/move", "move_meeting", timetable_manage.move, methods=["POST"])
manage_bp.add_url_rule("/meetings/<int:meeting_id>/unpin", "unpin_meeting", timetable_manage.unpin, methods=["POST"])
manage_bp.add_url_rule("/meetings/<int:meeting_id>/cancel", "cancel_meeting", timetable_manage.cancel, methods=["POST"])
manage_bp.add_url_rule(
    "/visits/<int:visit_id>/timetable/repair", "repair_timetable", timetable_manage.repair, methods=["POST"]
)
manage_bp.add_url_rule(
    "/timetable-repairs/<int:proposal_id>", "repair_proposal", timetable_manage.repair_proposal, methods=["GET"]
)
manage_bp.add_url_rule(
    "/timetable-repairs/<int:proposal_id>/apply",
    "apply_repair",
    timetable_manage.apply_repair,
    methods=["POST"],
)
manage_bp.add_url_rule(
    "/expert-invitations/<int:invitation_id>/remove",
    "remove_from_list",
    visits_manage.remove_from_list,
    methods=["POST"],
)
manage_bp.add_url_rule(
    "/expert-invitations/<int:invitation_id>/calendar",
    "busy_import",
    costly(visits_manage.busy_import, methods=["POST"]),
    methods=["GET", "POST"],
)
manage_bp.add_url_rule(
    "/expert-invitations/<int:invitation_id>/calendar/confirm",
    "confirm_busy_import",
    visits_manage.confirm_busy_import,
    methods=["POST"],
)

# Signed-in pages kept per person between changes (core.personal_pages), which also change when a meeting
# starts or ends or a rapid question's deadline passes.
page_moments.register("programmes", freshness.next_change)
for endpoint, what in {
    "programmes_manage.visit": "a visit's page",
    "programmes_manage.dashboard": "the programme dashboard",
    "programmes.itinerary": "an itinerary",
}.items():
    personal_pages.register(endpoint, what)
home_sections.register("tenures", HomeSection("programmes/_home.html", manage.home_section), order=25)
home_sections.register(
    "my_programme", HomeSection("programmes/_home_fellow.html", manage.fellow_home_section), order=26
)
demo_loaders.register("programmes", demo.load, order=40)
retention_purges.register("expert links", invitations.retire_links)
retention_purges.register("panel links", rapid_services.retire_links)
data_export.register("programme", services.export_programme)
data_export.register("brief", brief_services.export_briefs)
data_export.register("impact", outcome_queries.export_impact_of)
personal_calendar.register("meetings", CalendarPart(meetings.feed_fingerprint, meetings.feed_entries))
cli_commands.register("expert-reminders", expert_reminders_command)
cli_commands.register("expert-embeddings", expert_embeddings_command)
cli_commands.register("follow-up-nudges", follow_up_nudges_command)
scheduled_jobs.register("expert-reminders", ScheduledJob(expert_reminders_job, minutes=60), order=30)
scheduled_jobs.register("expert-embeddings", ScheduledJob(expert_embeddings_job, at="03:30"), order=35)
scheduled_jobs.register("follow-up-nudges", ScheduledJob(follow_up_nudges_job, at="08:00"), order=36)
navigation.register("programmes.mine", NavEntry("My programme", "programmes.mine", "fellow"), order=70)
navigation.register(
    "programmes_manage.tenures",
    NavEntry("Tenures", "programmes_manage.tenures", "organiser", menu="organiser"),
    order=50,
)
navigation.register(
    "programmes_manage.experts",
    NavEntry("Experts", "programmes_manage.experts", "organiser", menu="organiser"),
    order=60,
)
navigation.register(
    "programmes_manage.visits", NavEntry("Visits", "programmes_manage.visits", "organiser", menu="organiser"), order=70
)
navigation.register(
    "programmes_manage.rapid_questions",
    NavEntry("Rapid response", "programmes_manage.rapid_questions", "organiser", menu="organiser"),
    order=75,
)
navigation.register(
    "programmes_manage.dashboard",
    NavEntry("Programme dashboard", "programmes_manage.dashboard", "organiser", menu="organiser"),
    order=80,
)
organiser_alerts.register("Experts' answers to visit invitations", visit_notifications.expert_answer_alerts, order=30)
organiser_alerts.register("Follow-ups due (the team's and experts')", outcome_notifications.follow_up_alerts, order=31)
organiser_alerts.register("Answers to rapid-response questions", rapid_notifications.panel_answer_alerts, order=32)
# After write-ups have let go of the fellow's visits (order 40), before the account row goes.
account_erasers.register("programme", services.erase_programme, order=60)
account_erasers.register("brief", brief_services.erase_briefs, order=61)
account_erasers.register("impact", outcome_services.erase_impact, order=62)

# What this area records in the audit log, and the tables it writes that no cached answer reads.
for action, text in {
    "expert.erased": "Expert removed from the network",
    "expert.conflict_overridden": "Expert added despite a conflict of interest",
    "expert.merged": "Experts merged",
    "experts.imported": "Experts imported from CSV",
    "expert.busy_imported": "Busy times taken from an expert's calendar",
    "programme.exported": "Programme dashboard downloaded",
    "rapid.asked": "Rapid-response panel asked",
    "impact.name_withheld": "Expert asked not to be named in an impact story",
    "impact.name_allowed": "Expert agreed to be named in an impact story again",
}.items():
    audit_labels.register(action, text)
