"""write-ups of things other than events (a fellow's visit programme)

Revision ID: 0012_subject_writeups
Revises: 0011_indexes

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0012_subject_writeups"
down_revision = "0011_indexes"
branch_labels = None
depends_on = None

WRITTEN_UP = "event_id IS NOT NULL OR (subject_kind IS NOT NULL AND subject_id IS NOT NULL)"


def upgrade():
    with op.batch_alter_table("note_draft_stashes", schema=None) as batch_op:
        batch_op.alter_column("event_id", existing_type=sa.INTEGER(), nullable=True)

    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_kind", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("subject_id", sa.Integer(), nullable=True))
        batch_op.alter_column("event_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index("ix_notes_subject", ["subject_kind", "subject_id"], unique=False)
        batch_op.create_check_constraint(op.f("ck_notes_written_up"), WRITTEN_UP)


def downgrade():
    # Write-ups of visit programmes have no event: they go with the columns that describe them.
    op.execute("DELETE FROM notes WHERE event_id IS NULL")
    op.execute("DELETE FROM note_draft_stashes WHERE event_id IS NULL")
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_notes_written_up"), type_="check")
        batch_op.drop_index("ix_notes_subject")
        batch_op.alter_column("event_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("subject_id")
        batch_op.drop_column("subject_kind")

    with op.batch_alter_table("note_draft_stashes", schema=None) as batch_op:
        batch_op.alter_column("event_id", existing_type=sa.INTEGER(), nullable=False)
