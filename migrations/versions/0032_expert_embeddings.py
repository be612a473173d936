"""expert_embeddings: the meaning of each expert's profile as a vector, for semantic matching

Revision ID: 0032_expert_embeddings
Revises: 0031_consent
"""

import sqlalchemy as sa
from alembic import op

revision = "0032_expert_embeddings"
down_revision = "0031_consent"
branch_labels = None
depends_on = None


def upgrade():
    # Empty at first: matching embeds a profile without a row on the fly, and each save stores its row.
    op.create_table(
        "expert_embeddings",
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=80), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["expert_id"], ["experts.id"], name=op.f("fk_expert_embeddings_expert_id_experts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("expert_id", name=op.f("pk_expert_embeddings")),
    )


def downgrade():
    op.drop_table("expert_embeddings")
