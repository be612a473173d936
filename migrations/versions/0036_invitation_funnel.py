"""The invitation funnel: visits say after how many days an unanswered invitation expires; invitations
record when the expert first opened the link and when it expired ("expired" joins the statuses)

Revision ID: 0036_invitation_funnel
Revises: 0035_mail_suppressions
"""

import sqlalchemy as sa
from alembic import op

revision = "0036_invitation_funnel"
down_revision = "0035_mail_suppressions"
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('listed', 'invited', 'accepted', 'declined')"
NEW_STATUSES = "status IN ('listed', 'invited', 'accepted', 'declined', 'expired')"


def upgrade():
    with op.batch_alter_table("visit_programmes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expire_after_days", sa.Integer(), nullable=False, server_default="14"))
        batch_op.create_check_constraint(
            op.f("ck_visit_programmes_expire_after_days"), "expire_after_days BETWEEN 2 AND 90"
        )
    with op.batch_alter_table("expert_invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(op.f("ck_expert_invitations_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_expert_invitations_status"), NEW_STATUSES)


def downgrade():
    # An expired invitation was one still waiting for an answer before this state existed.
    op.execute("UPDATE expert_invitations SET status = 'invited' WHERE status = 'expired'")
    with op.batch_alter_table("expert_invitations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_expert_invitations_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_expert_invitations_status"), OLD_STATUSES)
        batch_op.drop_column("expired_at")
        batch_op.drop_column("opened_at")
    with op.batch_alter_table("visit_programmes", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_visit_programmes_expire_after_days"), type_="check")
        batch_op.drop_column("expire_after_days")
