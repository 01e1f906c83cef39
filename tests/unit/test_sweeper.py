from datetime import timedelta

from sqlalchemy import update

from consultant.db.base import utcnow
from consultant.db.models import InboundEmail, OutboundEmail
from consultant.db.session import session_scope
from consultant.sweeper import find_stuck
from tests.builders import question_email
from tests.unit.consult.test_pipeline import process, receive


def age(model, seconds: float) -> None:
    column = model.updated_at if model is InboundEmail else model.created_at
    with session_scope() as session:
        session.execute(update(model).values({column.key: utcnow() - timedelta(seconds=seconds)}))


def stuck(settings):
    with session_scope() as session:
        return find_stuck(session, settings)


class TestFindStuck:
    def test_fresh_work_is_left_to_the_queue(self, app):
        process(app, receive(question_email()))
        receive(question_email())
        assert (stuck(app).inbound_ids, stuck(app).outbound_ids) == ([], [])

    def test_old_unprocessed_message_is_found(self, app):
        inbound_id = receive(question_email())
        age(InboundEmail, app.sweep_after + 1)
        assert stuck(app).inbound_ids == [inbound_id]

    def test_processed_message_is_not_found(self, app):
        process(app, receive(question_email()))
        age(InboundEmail, app.sweep_after + 1)
        assert stuck(app).inbound_ids == []

    def test_old_pending_reply_and_due_retry_are_found(self, app):
        first = process(app, receive(question_email())).outbound_ids[0]
        second = process(app, receive(question_email())).outbound_ids[0]
        age(OutboundEmail, app.sweep_after + 1)
        with session_scope() as session:
            session.execute(
                update(OutboundEmail).where(OutboundEmail.id == second)
                .values(status="retry", next_attempt_at=utcnow() - timedelta(seconds=1))
            )
        assert stuck(app).outbound_ids == [first, second]

    def test_retry_not_yet_due_and_sent_replies_are_not_found(self, app):
        first = process(app, receive(question_email())).outbound_ids[0]
        second = process(app, receive(question_email())).outbound_ids[0]
        with session_scope() as session:
            session.execute(update(OutboundEmail).where(OutboundEmail.id == first)
                            .values(status="retry", next_attempt_at=utcnow() + timedelta(minutes=5)))
            session.execute(update(OutboundEmail).where(OutboundEmail.id == second).values(status="sent"))
        age(OutboundEmail, app.sweep_after + 1)
        assert stuck(app).outbound_ids == []


class TestWakeStuck:
    def test_sends_the_jobs_for_what_is_stuck(self, app, dispatched):
        from consultant import jobs
        from consultant.sweeper import wake_stuck

        inbound_id = receive(question_email())
        dispatched.jobs.clear()
        age(InboundEmail, app.sweep_after + 1)
        stuck = wake_stuck(app)
        assert stuck.inbound_ids == [inbound_id]
        assert dispatched.named(jobs.PROCESS_INBOUND) == [(inbound_id,)]
