"""bounces: a failure report marks the outbound message and its recipient

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from consultant.db.base import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sender") as batch_op:
        batch_op.add_column(sa.Column("bouncing_since", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("bounce_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("outbound_email") as batch_op:
        batch_op.add_column(sa.Column("bounced_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("bounce_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbound_email") as batch_op:
        batch_op.drop_column("bounce_reason")
        batch_op.drop_column("bounced_at")
    with op.batch_alter_table("sender") as batch_op:
        batch_op.drop_column("bounce_reason")
        batch_op.drop_column("bouncing_since")
