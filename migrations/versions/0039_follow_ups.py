"""Follow-ups agreed at meetings: an action, who does it, by when, whether it is done and when its nudge went

Revision ID: 0039_follow_ups
Revises: 0038_funnel_targets
"""

import sqlalchemy as sa
from alembic import op


revision = "0039_follow_ups"
down_revision = "0038_funnel_targets"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=300), nullable=False),
        sa.Column("owner", sa.String(length=12), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("nudged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("owner IN ('fellow', 'expert', 'organiser')", name=op.f("ck_follow_ups_owner")),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_follow_ups_meeting_id_meetings"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_follow_ups_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
    )
    op.create_index(op.f("ix_follow_ups_meeting_id"), "follow_ups", ["meeting_id"])
    op.create_index(op.f("ix_follow_ups_due_on"), "follow_ups", ["due_on"])


def downgrade():
    op.drop_index(op.f("ix_follow_ups_due_on"), table_name="follow_ups")
    op.drop_index(op.f("ix_follow_ups_meeting_id"), table_name="follow_ups")
    op.drop_table("follow_ups")
