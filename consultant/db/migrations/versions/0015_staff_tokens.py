"""staff tokens and sign-in limits: API tokens get a name, an expiry and a last-used time (tokens made
before this expire 90 days after they were made); sign-in attempts are counted per address in a row of
their own

Revision ID: 0015
Revises: 0013
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

from consultant.db.base import UTCDateTime

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None

TOKEN_DAYS = 90


def upgrade() -> None:
    with op.batch_alter_table("staff_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("expires_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", UTCDateTime(), nullable=True))
    op.create_table(
        "sign_in_counter",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("window_start", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_sign_in_counter")),
    )
    sessions = sa.table("staff_session", sa.column("id", sa.Integer()), sa.column("kind", sa.String()),
                        sa.column("created_at", UTCDateTime()), sa.column("expires_at", UTCDateTime()))
    bind = op.get_bind()
    old_tokens = bind.execute(sa.select(sessions.c.id, sessions.c.created_at).where(sessions.c.kind == "api")).all()
    for token_id, created_at in old_tokens:
        bind.execute(sa.update(sessions).where(sessions.c.id == token_id)
                     .values(expires_at=created_at + timedelta(days=TOKEN_DAYS)))


def downgrade() -> None:
    op.drop_table("sign_in_counter")
    with op.batch_alter_table("staff_session", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("name")
