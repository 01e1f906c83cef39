import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from consultant.db.session import in_transaction, session_scope


def select_one(session) -> int:
    return session.execute(text("select 1")).scalar_one()


class TestInTransaction:
    def test_a_connection_dropped_by_a_database_restart_is_replaced_once(self, configure, pg_url, postgres_server):
        configure(database_url=pg_url)
        assert in_transaction(select_one) == 1  # leaves a pooled connection behind
        postgres_server.stop()
        postgres_server.restart()
        assert in_transaction(select_one) == 1

    def test_without_it_the_stale_pooled_connection_fails(self, configure, pg_url, postgres_server):
        configure(database_url=pg_url)
        assert in_transaction(select_one) == 1
        postgres_server.stop()
        postgres_server.restart()
        with pytest.raises(OperationalError):
            with session_scope() as session:
                select_one(session)

    def test_other_errors_are_not_retried(self, configure, tmp_path):
        configure(database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}")
        calls = []

        def failing(session):
            calls.append(1)
            session.execute(text("select * from no_such_table"))

        with pytest.raises(OperationalError):
            in_transaction(failing)
        assert calls == [1]

    def test_commits_the_work(self, configure, tmp_path):
        configure(database_url=f"sqlite:///{tmp_path / 'y.sqlite3'}")
        in_transaction(lambda s: s.execute(text("create table t (x int)")))
        in_transaction(lambda s: s.execute(text("insert into t values (7)")))
        assert in_transaction(lambda s: s.execute(text("select x from t")).scalar_one()) == 7
