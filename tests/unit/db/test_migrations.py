from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from consultant.db.base import Base
from consultant.db.migrate import upgrade
from consultant.db.session import get_engine


def schema_drift(url: str) -> list:
    with get_engine(url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


class TestUpgrade:
    def test_sqlite_schema_matches_the_models(self, configure, tmp_path):
        url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        configure(database_url=url)
        upgrade(url)
        upgrade(url)  # idempotent
        assert schema_drift(url) == []

    def test_postgresql_schema_matches_the_models(self, configure, pg_url):
        configure(database_url=pg_url)
        upgrade(pg_url)
        assert schema_drift(pg_url) == []
