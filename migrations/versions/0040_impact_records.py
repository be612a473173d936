"""Impact records: what changed in a fellow's policy work, the evidence, the meetings it drew on, and
quotes kept with the speaker's consent

Revision ID: 0040_impact_records
Revises: 0039_follow_ups
"""

import sqlalchemy as sa
from alembic import op

revision = "0040_impact_records"
down_revision = "0039_follow_ups"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "impact_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fellow_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("what_changed", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("happened_on", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["fellow_id"], ["users.id"], name=op.f("fk_impact_records_fellow_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_impact_records_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impact_records")),
    )
    op.create_index(op.f("ix_impact_records_fellow_id"), "impact_records", ["fellow_id"])
    op.create_table(
        "impact_meetings",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["impact_records.id"],
            name=op.f("fk_impact_meetings_record_id_impact_records"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_impact_meetings_meeting_id_meetings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("record_id", "meeting_id", name=op.f("pk_impact_meetings")),
    )
    op.create_table(
        "impact_quotes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("speaker", sa.String(length=200), nullable=False),
        sa.Column("consent_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["impact_records.id"],
            name=op.f("fk_impact_quotes_record_id_impact_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impact_quotes")),
    )
    op.create_index(op.f("ix_impact_quotes_record_id"), "impact_quotes", ["record_id"])


def downgrade():
    op.drop_index(op.f("ix_impact_quotes_record_id"), table_name="impact_quotes")
    op.drop_table("impact_quotes")
    op.drop_table("impact_meetings")
    op.drop_index(op.f("ix_impact_records_fellow_id"), table_name="impact_records")
    op.drop_table("impact_records")
