"""users.privacy_consented_at: when a fellow agreed to the privacy notice, accepting the invitation

Revision ID: 0031_consent
Revises: 0027_reply_to
"""

import sqlalchemy as sa
from alembic import op

revision = "0031_consent"
down_revision = "0027_reply_to"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("privacy_consented_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("privacy_consented_at")
