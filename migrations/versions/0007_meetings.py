"""meetings of a visit timetable and travel times

Revision ID: 0007_meetings
Revises: 0006_visits

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0007_meetings"
down_revision = "0006_visits"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "travel_times",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("place_a", sa.String(length=120), nullable=False),
        sa.Column("place_b", sa.String(length=120), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.CheckConstraint("minutes BETWEEN 0 AND 240", name=op.f("ck_travel_times_minutes")),
        sa.CheckConstraint("place_a < place_b", name=op.f("ck_travel_times_ordered")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_travel_times")),
        sa.UniqueConstraint("place_a", "place_b", name=op.f("uq_travel_times_place_a_place_b")),
    )
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=120), nullable=True),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("follow_up", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_meetings_times")),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["expert_invitations.id"],
            name=op.f("fk_meetings_invitation_id_expert_invitations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["visit_programmes.id"],
            name=op.f("fk_meetings_programme_id_visit_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
        sa.UniqueConstraint("invitation_id", name=op.f("uq_meetings_invitation_id")),
    )
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meetings_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meetings_starts_at"), ["starts_at"], unique=False)


def downgrade():
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meetings_starts_at"))
        batch_op.drop_index(batch_op.f("ix_meetings_programme_id"))

    op.drop_table("meetings")
    op.drop_table("travel_times")
