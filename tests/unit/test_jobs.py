from sqlalchemy import text

from consultant import jobs
from consultant.db.session import session_scope


class TestDefer:
    def test_job_leaves_only_after_commit(self, app, dispatched):
        with session_scope() as session:
            jobs.defer(session, jobs.PROCESS_INBOUND, 7)
            assert dispatched.jobs == []
        assert dispatched.named(jobs.PROCESS_INBOUND) == [(7,)]

    def test_job_is_dropped_when_the_transaction_rolls_back(self, app, dispatched):
        try:
            with session_scope() as session:
                jobs.defer(session, jobs.PROCESS_INBOUND, 8)
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        with session_scope():
            pass
        assert dispatched.jobs == []

    def test_a_rolled_back_savepoint_keeps_the_outer_transactions_jobs(self, app, dispatched):
        with session_scope() as session:
            jobs.defer(session, jobs.SEND_OUTBOUND, 9)
            savepoint = session.begin_nested()
            session.execute(text("select 1"))
            savepoint.rollback()
        assert dispatched.named(jobs.SEND_OUTBOUND) == [(9,)]


class TestDispatchNow:
    def test_a_broker_failure_is_reported_not_raised(self, app):
        def broken(name, ids, countdown):
            raise ConnectionError("broker down")

        previous = jobs.use_dispatcher(broken)
        try:
            assert jobs.dispatch_now(jobs.SWEEP) is False
        finally:
            jobs.use_dispatcher(previous)
