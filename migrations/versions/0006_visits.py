"""visit programmes and invitations to experts

Revision ID: 0006_visits
Revises: 0005_audit

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0006_visits"
down_revision = "0005_audit"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "visit_programmes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fellow_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("day_starts", sa.Time(), nullable=False),
        sa.Column("day_ends", sa.Time(), nullable=False),
        sa.Column("meeting_minutes", sa.Integer(), nullable=False),
        sa.Column("lunch_starts", sa.Time(), nullable=False),
        sa.Column("lunch_ends", sa.Time(), nullable=False),
        sa.Column("home_location", sa.String(length=120), nullable=True),
        sa.Column("max_per_day", sa.Integer(), nullable=False),
        sa.Column("reminder_after_days", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("day_ends > day_starts", name=op.f("ck_visit_programmes_hours")),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_visit_programmes_dates")),
        sa.CheckConstraint("max_per_day BETWEEN 1 AND 20", name=op.f("ck_visit_programmes_max_per_day")),
        sa.CheckConstraint("meeting_minutes BETWEEN 10 AND 240", name=op.f("ck_visit_programmes_meeting_minutes")),
        sa.ForeignKeyConstraint(
            ["fellow_id"], ["users.id"], name=op.f("fk_visit_programmes_fellow_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_programmes")),
    )
    with op.batch_alter_table("visit_programmes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_programmes_ends_on"), ["ends_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_visit_programmes_fellow_id"), ["fellow_id"], unique=False)

    op.create_table(
        "expert_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=True),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("sealed_token", sa.Text(), nullable=True),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("available", sa.JSON(), nullable=False),
        sa.Column("suggestion", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('listed', 'invited', 'accepted', 'declined')", name=op.f("ck_expert_invitations_status")
        ),
        sa.ForeignKeyConstraint(
            ["expert_id"], ["experts.id"], name=op.f("fk_expert_invitations_expert_id_experts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["visit_programmes.id"],
            name=op.f("fk_expert_invitations_programme_id_visit_programmes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["policy_questions.id"],
            name=op.f("fk_expert_invitations_question_id_policy_questions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expert_invitations")),
        sa.UniqueConstraint("programme_id", "expert_id", name=op.f("uq_expert_invitations_programme_id_expert_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_expert_invitations_token_hash")),
    )
    with op.batch_alter_table("expert_invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_expert_invitations_expert_id"), ["expert_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_expert_invitations_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_expert_invitations_status"), ["status"], unique=False)


def downgrade():
    with op.batch_alter_table("expert_invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_expert_invitations_status"))
        batch_op.drop_index(batch_op.f("ix_expert_invitations_programme_id"))
        batch_op.drop_index(batch_op.f("ix_expert_invitations_expert_id"))

    op.drop_table("expert_invitations")
    with op.batch_alter_table("visit_programmes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_programmes_fellow_id"))
        batch_op.drop_index(batch_op.f("ix_visit_programmes_ends_on"))

    op.drop_table("visit_programmes")
