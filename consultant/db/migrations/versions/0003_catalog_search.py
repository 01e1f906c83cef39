"""full-text search over the catalog: FTS5 on SQLite, weighted tsvector + GIN on PostgreSQL

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TABLE catalog_search ("
            " system varchar(16) NOT NULL, code varchar(16) NOT NULL, kind varchar(16) NOT NULL,"
            " descriptor text NOT NULL, extra text NOT NULL,"
            " document tsvector GENERATED ALWAYS AS (setweight(to_tsvector('english', descriptor), 'A')"
            " || setweight(to_tsvector('english', extra), 'C')) STORED,"
            " PRIMARY KEY (system, code))"
        )
        op.execute("CREATE INDEX ix_catalog_search_document ON catalog_search USING gin (document)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE catalog_search USING fts5(system UNINDEXED, code UNINDEXED, kind UNINDEXED,"
            " descriptor, extra, tokenize='porter unicode61 remove_diacritics 2')"
        )
        # the official descriptor counts three times as much as inclusion terms and lay text
        op.execute("INSERT INTO catalog_search(catalog_search, rank) VALUES ('rank', 'bm25(0, 0, 0, 3.0, 1.0)')")


def downgrade() -> None:
    op.execute("DROP TABLE catalog_search")
