"""URLs of the fellowship programme (a fellow's programme and questions; the organisers' tenures) and
what the area contributes to core: home-page sections."""

from __future__ import annotations

from flask import Blueprint

from core.registry import HomeSection, demo_loaders, home_sections
from programmes import demo, experts_manage, manage, views

bp = Blueprint("programmes", __name__)
bp.add_url_rule("/programme", "mine", views.my_programme, methods=["GET"])
bp.add_url_rule("/programme/fellows/<int:fellow_id>", "questions", views.questions, methods=["GET", "POST"])
bp.add_url_rule(
    "/programme/questions/<int:question_id>/edit", "edit_question", views.edit_question, methods=["GET", "POST"]
)
bp.add_url_rule(
    "/programme/questions/<int:question_id>/delete", "remove_question", views.remove_question, methods=["POST"]
)

manage_bp = Blueprint("programmes_manage", __name__, url_prefix="/organiser")
manage_bp.add_url_rule("/tenures", "tenures", manage.tenures, methods=["GET"])
manage_bp.add_url_rule("/tenures/new", "new_appointment", manage.new_appointment, methods=["GET", "POST"])
manage_bp.add_url_rule(
    "/tenures/<int:appointment_id>/edit", "edit_appointment", manage.edit_appointment, methods=["GET", "POST"]
)
manage_bp.add_url_rule("/experts", "experts", experts_manage.experts, methods=["GET"])
manage_bp.add_url_rule("/experts/new", "new_expert", experts_manage.new_expert, methods=["GET", "POST"])
manage_bp.add_url_rule(
    "/experts/<int:expert_id>/edit", "edit_expert", experts_manage.edit_expert, methods=["GET", "POST"]
)
manage_bp.add_url_rule("/experts/<int:expert_id>/merge", "merge_expert", experts_manage.merge_expert, methods=["POST"])
manage_bp.add_url_rule("/experts/import", "import_experts", experts_manage.import_experts, methods=["GET", "POST"])
manage_bp.add_url_rule(
    "/experts/import/confirm", "confirm_expert_import", experts_manage.confirm_expert_import, methods=["POST"]
)

home_sections.register("tenures", HomeSection("programmes/_home.html", manage.home_section), order=25)
home_sections.register(
    "my_programme", HomeSection("programmes/_home_fellow.html", manage.fellow_home_section), order=26
)
demo_loaders.register("programmes", demo.load, order=40)
