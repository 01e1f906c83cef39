from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from consultant.codes import models as _catalog  # noqa: F401  (registers the catalog tables)
from consultant.db.base import Base
from consultant.db.migrate import is_modelled, upgrade
from consultant.db.session import get_engine


def schema_drift(url: str) -> list:
    with get_engine(url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": is_modelled})
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

    def test_upgrade_from_the_first_schema_keeps_existing_codes(self, configure, tmp_path):
        from alembic import command
        from sqlalchemy import text

        from consultant.db.migrate import alembic_config

        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
        configure(database_url=url)
        command.upgrade(alembic_config(url), "0001")
        with get_engine(url).begin() as connection:
            connection.execute(text(
                "insert into catalog_code (system, code, descriptor, kind, source, version) "
                "values ('icd10cm', 'K76.0', 'x', 'billable', 's', 'v')"
            ))
        upgrade(url)
        with get_engine(url).connect() as connection:
            assert connection.execute(text("select attributes from catalog_code")).scalar_one() in ("{}", {})
        assert schema_drift(url) == []
