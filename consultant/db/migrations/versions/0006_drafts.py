"""question.asks (the questions a message asks, with intents and routes) and the draft table

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from consultant.db.base import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("question") as batch_op:
        batch_op.add_column(sa.Column("asks", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    op.create_table(
        "draft",
        sa.Column("id", ID, nullable=False),
        sa.Column("question_id", ID, sa.ForeignKey("question.id", name=op.f("fk_draft_question_id_question")),
                  nullable=False),
        sa.Column("consultation_id", ID,
                  sa.ForeignKey("consultation.id", name=op.f("fk_draft_consultation_id_consultation")), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("grounding_problems", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("reviewed_by", sa.String(320), nullable=True),
        sa.Column("reviewed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draft")),
        sa.UniqueConstraint("question_id", name=op.f("uq_draft_question_id")),
    )
    op.create_index(op.f("ix_draft_consultation_id"), "draft", ["consultation_id"])
    op.create_index(op.f("ix_draft_status"), "draft", ["status"])


def downgrade() -> None:
    op.drop_index("ix_draft_status", table_name="draft")
    op.drop_index("ix_draft_consultation_id", table_name="draft")
    op.drop_table("draft")
    with op.batch_alter_table("question") as batch_op:
        batch_op.drop_column("asks")
