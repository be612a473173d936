"""mail_suppressions: addresses that bounced for good; outbox messages can be bounced or skipped

Revision ID: 0035_mail_suppressions
Revises: 0034_meeting_targets
"""

import sqlalchemy as sa
from alembic import op

revision = "0035_mail_suppressions"
down_revision = "0034_meeting_targets"
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('queued', 'sent', 'failed')"
NEW_STATUSES = "status IN ('queued', 'sent', 'failed', 'bounced', 'skipped')"


def upgrade():
    op.create_table(
        "mail_suppressions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("source IN ('smtp', 'dsn')", name=op.f("ck_mail_suppressions_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_suppressions")),
        sa.UniqueConstraint("address", name=op.f("uq_mail_suppressions_address")),
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbox_messages_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_outbox_messages_status"), NEW_STATUSES)


def downgrade():
    # Bounced and skipped messages were not delivered: before these states they were "failed".
    op.execute("UPDATE outbox_messages SET status = 'failed' WHERE status IN ('bounced', 'skipped')")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbox_messages_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_outbox_messages_status"), OLD_STATUSES)
    op.drop_table("mail_suppressions")
