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


class TestReleaseCoverageMigration:
    def test_existing_releases_learn_what_they_speak_for(self, configure, tmp_path):
        from alembic import command
        from sqlalchemy import text

        from consultant.db.migrate import alembic_config

        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
        configure(database_url=url)
        command.upgrade(alembic_config(url), "0011")
        with get_engine(url).begin() as connection:
            for system, source, version in (
                    ("icd10cm", "CMS ICD-10-CM tabular list icd10c-tabular-April-1-2026.xml (via simple-icd-10-cm 1.5.0)",
                     "ICD-10-CM 2026"),
                    ("cpt", "LONGULT.txt", "CPT 2026 (licensed file)"),
                    ("ncci-ptp", "CMS NCCI PTP edits, hospital (ccioph-v321r0-f1.txt)", "NCCI PTP hospital v32.1"),
                    ("mue", "CMS MUE table, DME supplier (MCR_MUE_DME.csv)", "MUE DME supplier 2026 Q1")):
                connection.execute(text(
                    "insert into catalog_release (system, source, version, imported_at, added, changed, removed) "
                    "values (:system, :source, :version, '2026-01-01 00:00:00', 0, 0, 0)"),
                    {"system": system, "source": source, "version": version})
        upgrade(url)
        with get_engine(url).connect() as connection:
            rows = {r.system: r for r in connection.execute(text(
                "select system, full, valid_from, valid_to, setting from catalog_release"))}
        assert (rows["icd10cm"].full, str(rows["icd10cm"].valid_from), str(rows["icd10cm"].valid_to)) == (
            1, "2025-10-01", "2026-09-30")
        assert (rows["cpt"].full, rows["cpt"].valid_from, rows["cpt"].setting) == (0, None, None)
        assert (rows["ncci-ptp"].setting, rows["mue"].setting) == ("hospital", "dme")
        assert schema_drift(url) == []


class TestStaffTokensMigration:
    def test_tokens_made_before_it_expire_90_days_after_they_were_made(self, configure, tmp_path):
        from datetime import datetime, timedelta, timezone

        from alembic import command
        from sqlalchemy import text

        from consultant.db.migrate import alembic_config
        from consultant.db.models import StaffSession
        from consultant.db.session import session_scope

        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
        configure(database_url=url)
        command.upgrade(alembic_config(url), "0013")
        with get_engine(url).begin() as connection:
            connection.execute(text("insert into staff_user (email, password_hash, role, active, created_at) "
                                    "values ('a@b.org', 'x', 'admin', 1, '2025-01-01 00:00:00')"))
            for kind, made in (("api", "2025-01-01 00:00:00"), ("browser", "2025-01-02 00:00:00")):
                connection.execute(text(
                    "insert into staff_session (token_hash, user_id, kind, csrf_token, created_at, last_seen_at) "
                    "values (:h, 1, :kind, 'c', :made, :made)"), {"h": kind, "kind": kind, "made": made})
        upgrade(url)
        with session_scope(url) as session:
            rows = {s.kind: s for s in session.query(StaffSession)}
        assert rows["api"].expires_at == datetime(2025, 1, 1, tzinfo=timezone.utc) + timedelta(days=90)
        assert rows["browser"].expires_at is None and rows["api"].last_used_at is None
        assert schema_drift(url) == []
