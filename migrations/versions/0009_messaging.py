"""messages to attendees, new-event announcements, organiser alerts

Revision ID: 0009_messaging
Revises: 0008_expert_feedback

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009_messaging"
down_revision = "0008_expert_feedback"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "event_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("audience", sa.String(length=12), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("recipient_count", sa.Integer(), nullable=False),
        sa.Column("send_token", sa.String(length=64), nullable=False),
        sa.CheckConstraint("audience IN ('confirmed', 'waitlisted', 'all')", name=op.f("ck_event_messages_audience")),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_messages_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"], ["users.id"], name=op.f("fk_event_messages_sent_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_messages")),
        sa.UniqueConstraint("send_token", name=op.f("uq_event_messages_send_token")),
    )
    with op.batch_alter_table("event_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_messages_event_id"), ["event_id"], unique=False)

    with op.batch_alter_table("users", schema=None) as batch_op:
        # Existing accounts: announcements stay off until chosen; organisers get the daily digest.
        batch_op.add_column(sa.Column("notify_new_events", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(
            sa.Column("organiser_alerts", sa.String(length=10), nullable=False, server_default="digest")
        )
        batch_op.add_column(sa.Column("last_digest_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_users_organiser_alerts"), "organiser_alerts IN ('digest', 'each', 'none')"
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_organiser_alerts"), type_="check")
        batch_op.drop_column("last_digest_at")
        batch_op.drop_column("organiser_alerts")
        batch_op.drop_column("notify_new_events")

    with op.batch_alter_table("event_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_messages_event_id"))

    op.drop_table("event_messages")
