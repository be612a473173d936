"""event_invitations.declined_at: an invited fellow can say they cannot come, and organisers see it

Revision ID: 0033_invitation_declines
Revises: 0032_expert_embeddings
"""

import sqlalchemy as sa
from alembic import op

revision = "0033_invitation_declines"
down_revision = "0032_expert_embeddings"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("event_invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("declined_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("event_invitations", schema=None) as batch_op:
        batch_op.drop_column("declined_at")
