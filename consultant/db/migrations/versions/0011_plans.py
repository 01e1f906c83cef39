"""plans: a plan per sender and organisation, registration tokens, held mail knows its sender

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from consultant.db.base import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    for table in ("sender", "organisation"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("plan", sa.String(64), nullable=True))
            batch_op.add_column(sa.Column("billing_day", sa.Integer(), nullable=True))
    with op.batch_alter_table("sender") as batch_op:
        batch_op.add_column(sa.Column("registered_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("inbound_email") as batch_op:
        batch_op.add_column(sa.Column("sender_id", ID, nullable=True))
        batch_op.create_foreign_key(op.f("fk_inbound_email_sender_id_sender"), "sender", ["sender_id"], ["id"])
        batch_op.create_index(op.f("ix_inbound_email_sender_id"), ["sender_id"])
    op.create_table(
        "registration_token",
        sa.Column("id", ID, nullable=False),
        sa.Column("sender_id", ID, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["sender_id"], ["sender.id"], name=op.f("fk_registration_token_sender_id_sender")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_registration_token_token_hash")),
    )
    op.create_index(op.f("ix_registration_token_sender_id"), "registration_token", ["sender_id"])
    op.create_index("ix_usage_event_sender_kind_at", "usage_event", ["sender_id", "kind", "at"])


def downgrade() -> None:
    op.drop_index("ix_usage_event_sender_kind_at", table_name="usage_event")
    op.drop_index(op.f("ix_registration_token_sender_id"), table_name="registration_token")
    op.drop_table("registration_token")
    with op.batch_alter_table("inbound_email") as batch_op:
        batch_op.drop_index(op.f("ix_inbound_email_sender_id"))
        batch_op.drop_constraint(op.f("fk_inbound_email_sender_id_sender"), type_="foreignkey")
        batch_op.drop_column("sender_id")
    with op.batch_alter_table("sender") as batch_op:
        batch_op.drop_column("registered_at")
    for table in ("sender", "organisation"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("billing_day")
            batch_op.drop_column("plan")
