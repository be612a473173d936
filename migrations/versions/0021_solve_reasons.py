"""visit_programmes.unplaced, solved_at: the last solve's reasons, kept with the timetable

Revision ID: 0021_solve_reasons
Revises: 0014_form_keys
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_solve_reasons"
down_revision = "0014_form_keys"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("visit_programmes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unplaced", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("solved_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("visit_programmes", schema=None) as batch_op:
        batch_op.drop_column("solved_at")
        batch_op.drop_column("unplaced")
