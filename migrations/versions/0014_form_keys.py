"""used_form_keys: one-use keys of forms that must act once (review links, visits, join requests)

Revision ID: 0014_form_keys
Revises: 0013_expert_search
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_form_keys"
down_revision = "0013_expert_search"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "used_form_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_used_form_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_used_form_keys_key_hash")),
    )
    with op.batch_alter_table("used_form_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_used_form_keys_created_at"), ["created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("used_form_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_used_form_keys_created_at"))
    op.drop_table("used_form_keys")
