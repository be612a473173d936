"""experts.profile_words: each profile's full-text document, kept by a trigger and GIN-indexed (PostgreSQL)

Revision ID: 0013_expert_search
Revises: 0012_subject_writeups
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013_expert_search"
down_revision = "0012_subject_writeups"
branch_labels = None
depends_on = None

# programmes.models.PROFILE_WORDS_FUNCTION and PROFILE_WORDS_TRIGGER (a migration imports nothing of the app).
FUNCTION = """
CREATE OR REPLACE FUNCTION experts_profile_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.profile_words := to_tsvector('english', concat_ws(' ', NEW.title, NEW.department, NEW.biography));
    RETURN NEW;
END
$$
"""
TRIGGER = """
CREATE TRIGGER experts_profile_words BEFORE INSERT OR UPDATE OF title, department, biography ON experts
FOR EACH ROW EXECUTE FUNCTION experts_profile_words()
"""
FILL = "UPDATE experts SET profile_words = to_tsvector('english', concat_ws(' ', title, department, biography))"


def upgrade():
    words = postgresql.TSVECTOR().with_variant(sa.Text(), "sqlite")
    with op.batch_alter_table("experts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile_words", words, nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)
        op.execute(TRIGGER)
        op.execute(FILL)
    with op.batch_alter_table("experts", schema=None) as batch_op:
        batch_op.create_index("ix_experts_profile_words", ["profile_words"], unique=False, postgresql_using="gin")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER experts_profile_words ON experts")
        op.execute("DROP FUNCTION experts_profile_words()")
    with op.batch_alter_table("experts", schema=None) as batch_op:
        batch_op.drop_index("ix_experts_profile_words")
        batch_op.drop_column("profile_words")
