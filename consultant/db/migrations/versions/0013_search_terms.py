"""search finds what coders type: Alphabetic Index terms, index terms and synonyms weighted above
descriptor words, and a vocabulary with a trigram index for misspellings (pg_trgm on PostgreSQL, a
table of trigrams on SQLite)

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_PG_DOCUMENT = ("document tsvector GENERATED ALWAYS AS (setweight(to_tsvector('english', terms), 'A')"
                " || setweight(to_tsvector('english', descriptor), 'B')"
                " || setweight(to_tsvector('english', extra), 'C')) STORED")


def upgrade() -> None:
    op.create_table(
        "index_term",
        sa.Column("id", ID, nullable=False),
        sa.Column("system", sa.String(16), nullable=False),
        sa.Column("term", sa.Text(), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("see", sa.Text(), nullable=True),
        sa.Column("release_id", ID, nullable=True),
        sa.ForeignKeyConstraint(["release_id"], ["catalog_release.id"], name=op.f("fk_index_term_release_id_catalog_release")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_index_term")),
    )
    op.create_index("ix_index_term_system_code", "index_term", ["system", "code"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_catalog_search_document")
        op.execute("ALTER TABLE catalog_search DROP COLUMN document")
        op.execute("ALTER TABLE catalog_search ADD COLUMN terms text NOT NULL DEFAULT ''")
        op.execute(f"ALTER TABLE catalog_search ADD COLUMN {_PG_DOCUMENT}")
        op.execute("CREATE INDEX ix_catalog_search_document ON catalog_search USING gin (document)")
        # a pass that matches too many rows to rank is served in this order (SQLite uses its rowids)
        op.execute("ALTER TABLE catalog_search ADD COLUMN position integer NOT NULL DEFAULT 0")
        op.execute("CREATE INDEX ix_catalog_search_position ON catalog_search (position)")
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE TABLE search_word (word varchar(64) PRIMARY KEY, n integer NOT NULL)")
        op.execute("CREATE INDEX ix_search_word_trigram ON search_word USING gin (word gin_trgm_ops)")
    else:
        # FTS5 tables take no new column: make the new one, copy the rows, swap
        op.execute("ALTER TABLE catalog_search RENAME TO catalog_search_0003")
        op.execute(
            "CREATE VIRTUAL TABLE catalog_search USING fts5(system UNINDEXED, code UNINDEXED, kind UNINDEXED,"
            " descriptor, extra, terms, tokenize='porter unicode61 remove_diacritics 2')"
        )
        # index terms and synonyms count most, then the official descriptor, then inclusion terms and lay text
        op.execute("INSERT INTO catalog_search(catalog_search, rank) VALUES ('rank', 'bm25(0, 0, 0, 3.0, 1.0, 4.0)')")
        op.execute("INSERT INTO catalog_search (system, code, kind, descriptor, extra, terms)"
                   " SELECT system, code, kind, descriptor, extra, '' FROM catalog_search_0003")
        op.execute("DROP TABLE catalog_search_0003")
        op.execute("CREATE TABLE search_word (word TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID")
        # the trigrams of each word (padded with a space at each end), for candidates close to a misspelling
        op.execute("CREATE TABLE search_word_gram (gram TEXT NOT NULL, len INTEGER NOT NULL, word TEXT NOT NULL,"
                   " PRIMARY KEY (gram, len, word)) WITHOUT ROWID")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE search_word")
        op.execute("DROP INDEX ix_catalog_search_position")
        op.execute("ALTER TABLE catalog_search DROP COLUMN position")
        op.execute("DROP INDEX ix_catalog_search_document")
        op.execute("ALTER TABLE catalog_search DROP COLUMN document")
        op.execute("ALTER TABLE catalog_search DROP COLUMN terms")
        op.execute("ALTER TABLE catalog_search ADD COLUMN document tsvector GENERATED ALWAYS AS"
                   " (setweight(to_tsvector('english', descriptor), 'A')"
                   " || setweight(to_tsvector('english', extra), 'C')) STORED")
        op.execute("CREATE INDEX ix_catalog_search_document ON catalog_search USING gin (document)")
    else:
        op.execute("DROP TABLE search_word_gram")
        op.execute("DROP TABLE search_word")
        op.execute("ALTER TABLE catalog_search RENAME TO catalog_search_0012")
        op.execute(
            "CREATE VIRTUAL TABLE catalog_search USING fts5(system UNINDEXED, code UNINDEXED, kind UNINDEXED,"
            " descriptor, extra, tokenize='porter unicode61 remove_diacritics 2')"
        )
        op.execute("INSERT INTO catalog_search(catalog_search, rank) VALUES ('rank', 'bm25(0, 0, 0, 3.0, 1.0)')")
        op.execute("INSERT INTO catalog_search (system, code, kind, descriptor, extra)"
                   " SELECT system, code, kind, descriptor, extra FROM catalog_search_0012")
        op.execute("DROP TABLE catalog_search_0012")
    op.drop_index("ix_index_term_system_code", table_name="index_term")
    op.drop_table("index_term")
