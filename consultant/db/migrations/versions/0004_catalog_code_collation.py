"""catalog codes compare byte-wise on PostgreSQL (collation "C"), so prefix ranges work

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("catalog_code", "code", type_=sa.String(16, collation="C"), existing_type=sa.String(16),
                        existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("catalog_code", "code", type_=sa.String(16), existing_type=sa.String(16, collation="C"),
                        existing_nullable=False)
