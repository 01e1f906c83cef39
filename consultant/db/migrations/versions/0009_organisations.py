"""organisations: senders grouped by domain or explicit membership share their threads

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from consultant.db.base import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "organisation",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("domains", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
        sa.UniqueConstraint("name", name=op.f("uq_organisation_name")),
    )
    with op.batch_alter_table("sender") as batch_op:
        batch_op.add_column(sa.Column("organisation_id", ID, nullable=True))
        batch_op.create_foreign_key(op.f("fk_sender_organisation_id_organisation"), "organisation",
                                    ["organisation_id"], ["id"])
        batch_op.create_index(op.f("ix_sender_organisation_id"), ["organisation_id"])


def downgrade() -> None:
    with op.batch_alter_table("sender") as batch_op:
        batch_op.drop_index(op.f("ix_sender_organisation_id"))
        batch_op.drop_constraint(op.f("fk_sender_organisation_id_organisation"), type_="foreignkey")
        batch_op.drop_column("organisation_id")
    op.drop_table("organisation")
