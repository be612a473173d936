"""Versioned question briefs: a fellow's questions issued as numbered versions, the comments of each round,
and the version an invitation was sent with

Revision ID: 0037_brief_versions
Revises: 0036_invitation_funnel
"""

import sqlalchemy as sa
from alembic import op

revision = "0037_brief_versions"
down_revision = "0036_invitation_funnel"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "brief_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fellow_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["fellow_id"], ["users.id"], name=op.f("fk_brief_versions_fellow_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["users.id"], name=op.f("fk_brief_versions_issued_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brief_versions")),
        sa.UniqueConstraint("fellow_id", "number", name=op.f("uq_brief_versions_fellow_id_number")),
    )
    op.create_index(op.f("ix_brief_versions_fellow_id"), "brief_versions", ["fellow_id"])
    op.create_table(
        "brief_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fellow_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("after", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["fellow_id"], ["users.id"], name=op.f("fk_brief_comments_fellow_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_brief_comments_author_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brief_comments")),
    )
    op.create_index(op.f("ix_brief_comments_fellow_id"), "brief_comments", ["fellow_id"])
    with op.batch_alter_table("expert_invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("brief_version", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("expert_invitations", schema=None) as batch_op:
        batch_op.drop_column("brief_version")
    op.drop_index(op.f("ix_brief_comments_fellow_id"), table_name="brief_comments")
    op.drop_table("brief_comments")
    op.drop_index(op.f("ix_brief_versions_fellow_id"), table_name="brief_versions")
    op.drop_table("brief_versions")
