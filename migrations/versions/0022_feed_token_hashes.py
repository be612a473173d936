"""users.calendar_token → calendar_token_hash: personal feed tokens are kept as hashes only

Existing feed addresses keep working: each stored token is replaced by its SHA-256 (core.lib.tokens). A
downgrade cannot bring the tokens back, so it empties the column: everyone makes a new address.

Revision ID: 0022_feed_token_hashes
Revises: 0021_solve_reasons
"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0022_feed_token_hashes"
down_revision = "0021_solve_reasons"
branch_labels = None
depends_on = None

users = sa.table(
    "users",
    sa.column("id", sa.Integer),
    sa.column("calendar_token", sa.String),
    sa.column("calendar_token_hash", sa.String),
)


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calendar_token_hash", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(users.c.id, users.c.calendar_token).where(users.c.calendar_token.is_not(None)))
    for user_id, token in rows.all():
        digest = hashlib.sha256(token.encode()).hexdigest()
        connection.execute(users.update().where(users.c.id == user_id).values(calendar_token_hash=digest))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("uq_users_calendar_token", type_="unique")
        batch_op.drop_column("calendar_token")
        batch_op.create_unique_constraint(batch_op.f("uq_users_calendar_token_hash"), ["calendar_token_hash"])


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_calendar_token_hash"), type_="unique")
        batch_op.drop_column("calendar_token_hash")
        batch_op.add_column(sa.Column("calendar_token", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_users_calendar_token", ["calendar_token"])
