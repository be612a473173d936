"""The invitation funnel's targets: meetings wanted per question of a visit, how many times that many experts
are invited at once, and how many long shots matching adds to each question's suggestions

Revision ID: 0038_funnel_targets
Revises: 0037_brief_versions
"""

import sqlalchemy as sa
from alembic import op

revision = "0038_funnel_targets"
down_revision = "0037_brief_versions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("visit_programmes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("over_invite_percent", sa.Integer(), nullable=False, server_default="200"))
        batch_op.add_column(sa.Column("long_shots", sa.Integer(), nullable=False, server_default="2"))
        batch_op.create_check_constraint(
            op.f("ck_visit_programmes_over_invite_percent"), "over_invite_percent BETWEEN 100 AND 500"
        )
        batch_op.create_check_constraint(op.f("ck_visit_programmes_long_shots"), "long_shots BETWEEN 0 AND 5")
    op.create_table(
        "visit_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("meetings", sa.Integer(), nullable=False),
        sa.CheckConstraint("meetings BETWEEN 1 AND 30", name=op.f("ck_visit_targets_meetings")),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["visit_programmes.id"],
            name=op.f("fk_visit_targets_programme_id_visit_programmes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["policy_questions.id"],
            name=op.f("fk_visit_targets_question_id_policy_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_targets")),
        sa.UniqueConstraint("programme_id", "question_id", name=op.f("uq_visit_targets_programme_id_question_id")),
    )
    op.create_index(op.f("ix_visit_targets_question_id"), "visit_targets", ["question_id"])


def downgrade():
    op.drop_index(op.f("ix_visit_targets_question_id"), table_name="visit_targets")
    op.drop_table("visit_targets")
    with op.batch_alter_table("visit_programmes", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_visit_programmes_long_shots"), type_="check")
        batch_op.drop_constraint(op.f("ck_visit_programmes_over_invite_percent"), type_="check")
        batch_op.drop_column("long_shots")
        batch_op.drop_column("over_invite_percent")
