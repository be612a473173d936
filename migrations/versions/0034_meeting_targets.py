"""appointments.meeting_target: the meetings a tenure aims for across its visits (30 by default)

Revision ID: 0034_meeting_targets
Revises: 0033_invitation_declines
"""

import sqlalchemy as sa
from alembic import op

revision = "0034_meeting_targets"
down_revision = "0033_invitation_declines"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("meeting_target", sa.Integer(), nullable=False, server_default="30"))


def downgrade():
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_column("meeting_target")
