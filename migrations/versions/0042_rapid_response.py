"""Rapid response: questions with a deadline of days, their topics, and the panels of experts asked them

Revision ID: 0042_rapid_response
Revises: 0041_impact_withheld
"""

import sqlalchemy as sa
from alembic import op

revision = "0042_rapid_response"
down_revision = "0041_impact_withheld"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rapid_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=500), nullable=False),
        sa.Column("context", sa.Text(), nullable=True),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_rapid_questions_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rapid_questions")),
    )
    op.create_index(op.f("ix_rapid_questions_deadline_at"), "rapid_questions", ["deadline_at"])
    op.create_table(
        "rapid_question_topics",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["rapid_questions.id"],
            name=op.f("fk_rapid_question_topics_question_id_rapid_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_rapid_question_topics_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("question_id", "tag_id", name=op.f("pk_rapid_question_topics")),
    )
    op.create_table(
        "panel_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("sealed_token", sa.Text(), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("thanked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('listed', 'asked')", name=op.f("ck_panel_members_status")),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["rapid_questions.id"],
            name=op.f("fk_panel_members_question_id_rapid_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["expert_id"], ["experts.id"], name=op.f("fk_panel_members_expert_id_experts"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel_members")),
        sa.UniqueConstraint("question_id", "expert_id", name=op.f("uq_panel_members_question_id_expert_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_panel_members_token_hash")),
    )
    op.create_index(op.f("ix_panel_members_question_id"), "panel_members", ["question_id"])
    op.create_index(op.f("ix_panel_members_expert_id"), "panel_members", ["expert_id"])


def downgrade():
    op.drop_table("panel_members")
    op.drop_table("rapid_question_topics")
    op.drop_index(op.f("ix_rapid_questions_deadline_at"), table_name="rapid_questions")
    op.drop_table("rapid_questions")
