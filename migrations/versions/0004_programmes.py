"""programmes: appointments (tenure and tier), policy questions, the expert network, visit programmes,
invitations to experts, meetings and feedback

Revision ID: 0004_programmes
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa


revision = "0004_programmes"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "appointments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fellow_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=30), nullable=False),
        sa.Column("cohort", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "tier IN ('policy_fellow', 'policy_leaders_fellow', 'continuing_fellow')", name=op.f("ck_appointments_tier")
        ),
        sa.CheckConstraint("ends_on > starts_on", name=op.f("ck_appointments_dates")),
        sa.ForeignKeyConstraint(
            ["fellow_id"], ["users.id"], name=op.f("fk_appointments_fellow_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
        sa.UniqueConstraint("fellow_id", name=op.f("uq_appointments_fellow_id")),
    )
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appointments_ends_on"), ["ends_on"], unique=False)

    op.create_table(
        "policy_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fellow_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=500), nullable=False),
        sa.Column("context", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_policy_questions_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["fellow_id"], ["users.id"], name=op.f("fk_policy_questions_fellow_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_questions")),
    )
    with op.batch_alter_table("policy_questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_policy_questions_fellow_id"), ["fellow_id"], unique=False)

    op.create_table(
        "policy_question_topics",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["policy_questions.id"],
            name=op.f("fk_policy_question_topics_question_id_policy_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_policy_question_topics_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("question_id", "tag_id", name=op.f("pk_policy_question_topics")),
    )

    op.create_table(
        "experts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("department", sa.String(length=200), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("location", sa.String(length=120), nullable=True),
        sa.Column("biography", sa.Text(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("meeting_mode", sa.String(length=10), nullable=False),
        sa.Column("do_not_contact", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("meeting_mode IN ('in_person', 'online', 'either')", name=op.f("ck_experts_meeting_mode")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_experts_organisation_id_organisations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experts")),
        sa.UniqueConstraint("email", name=op.f("uq_experts_email")),
    )
    with op.batch_alter_table("experts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_experts_department"), ["department"], unique=False)

    op.create_table(
        "expert_topics",
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["expert_id"], ["experts.id"], name=op.f("fk_expert_topics_expert_id_experts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], name=op.f("fk_expert_topics_tag_id_tags"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("expert_id", "tag_id", name=op.f("pk_expert_topics")),
    )


def downgrade():
    op.drop_table("expert_topics")
    with op.batch_alter_table("experts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_experts_department"))

    op.drop_table("experts")

    op.drop_table("policy_question_topics")
    with op.batch_alter_table("policy_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_questions_fellow_id"))

    op.drop_table("policy_questions")
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appointments_ends_on"))

    op.drop_table("appointments")
