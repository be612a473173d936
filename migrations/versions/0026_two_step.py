"""Two-step sign-in: users.two_step_secret (sealed), two_step_since, two_step_last_step, devices_version;
recovery_codes (hashes only)

Revision ID: 0026_two_step
Revises: 0025_schedule_changes
"""

import sqlalchemy as sa
from alembic import op

revision = "0026_two_step"
down_revision = "0025_schedule_changes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("two_step_secret", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("two_step_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("two_step_last_step", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("devices_version", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_recovery_codes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_recovery_codes_code_hash")),
    )
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_codes_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_codes_user_id"))
    op.drop_table("recovery_codes")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("devices_version")
        batch_op.drop_column("two_step_last_step")
        batch_op.drop_column("two_step_since")
        batch_op.drop_column("two_step_secret")
