"""outbox_messages.reply_to: replies go to the organiser who sent a message (From stays the deployment's)

Revision ID: 0027_reply_to
Revises: 0026_two_step
"""

import sqlalchemy as sa
from alembic import op

revision = "0027_reply_to"
down_revision = "0026_two_step"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply_to", sa.String(length=320), nullable=True))


def downgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("reply_to")
