"""The living schedule: itinerary versions and their lines, repair proposals, cancelled meetings

Revision ID: 0025_schedule_changes
Revises: 0022_feed_token_hashes
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_schedule_changes"
down_revision = "0022_feed_token_hashes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "itinerary_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("cause", sa.String(length=10), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_itinerary_versions_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["visit_programmes.id"],
            name=op.f("fk_itinerary_versions_programme_id_visit_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_itinerary_versions")),
        sa.UniqueConstraint("programme_id", "number", name=op.f("uq_itinerary_versions_programme_id_number")),
    )
    with op.batch_alter_table("itinerary_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_itinerary_versions_created_by_id"), ["created_by_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_itinerary_versions_programme_id"), ["programme_id"], unique=False)

    op.create_table(
        "itinerary_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=10), nullable=False),
        sa.Column("expert_name", sa.String(length=200), nullable=False),
        sa.Column("was_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("now_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.CheckConstraint("change IN ('new', 'moved', 'cancelled')", name=op.f("ck_itinerary_changes_change")),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["itinerary_versions.id"],
            name=op.f("fk_itinerary_changes_version_id_itinerary_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_itinerary_changes")),
    )
    with op.batch_alter_table("itinerary_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_itinerary_changes_version_id"), ["version_id"], unique=False)

    op.create_table(
        "timetable_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("unplaced", sa.JSON(), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_timetable_proposals_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["visit_programmes.id"],
            name=op.f("fk_timetable_proposals_programme_id_visit_programmes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["itinerary_versions.id"],
            name=op.f("fk_timetable_proposals_version_id_itinerary_versions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timetable_proposals")),
    )
    with op.batch_alter_table("timetable_proposals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_timetable_proposals_created_by_id"), ["created_by_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_timetable_proposals_programme_id"), ["programme_id"], unique=False)

    with op.batch_alter_table("expert_invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("meeting_cancelled_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("expert_invitations", schema=None) as batch_op:
        batch_op.drop_column("meeting_cancelled_at")
    with op.batch_alter_table("timetable_proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_timetable_proposals_programme_id"))
        batch_op.drop_index(batch_op.f("ix_timetable_proposals_created_by_id"))
    op.drop_table("timetable_proposals")
    with op.batch_alter_table("itinerary_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_itinerary_changes_version_id"))
    op.drop_table("itinerary_changes")
    with op.batch_alter_table("itinerary_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_itinerary_versions_programme_id"))
        batch_op.drop_index(batch_op.f("ix_itinerary_versions_created_by_id"))
    op.drop_table("itinerary_versions")
