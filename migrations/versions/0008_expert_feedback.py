"""experts' feedback on meetings

Revision ID: 0008_expert_feedback
Revises: 0007_meetings

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0008_expert_feedback"
down_revision = "0007_meetings"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expert_rating", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("expert_comment", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_column("expert_comment")
        batch_op.drop_column("expert_rating")
