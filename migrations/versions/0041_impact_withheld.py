"""Experts who asked not to be named in an impact story that draws on their meeting

Revision ID: 0041_impact_withheld
Revises: 0040_impact_records
"""

import sqlalchemy as sa
from alembic import op

revision = "0041_impact_withheld"
down_revision = "0040_impact_records"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "impact_withheld",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["impact_records.id"],
            name=op.f("fk_impact_withheld_record_id_impact_records"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["expert_id"], ["experts.id"], name=op.f("fk_impact_withheld_expert_id_experts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("record_id", "expert_id", name=op.f("pk_impact_withheld")),
    )
    op.create_index(op.f("ix_impact_withheld_expert_id"), "impact_withheld", ["expert_id"])


def downgrade():
    op.drop_index(op.f("ix_impact_withheld_expert_id"), table_name="impact_withheld")
    op.drop_table("impact_withheld")
