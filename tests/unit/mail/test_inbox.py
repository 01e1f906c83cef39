from sqlalchemy import update

from consultant import jobs
from consultant.consult.pipeline import run_inbound
from consultant.db.models import InboundEmail, InboundStatus
from consultant.db.session import session_scope
from consultant.mail.inbound import Envelope, store_raw
from consultant.mail.inbox import list_inbox, retry
from tests.builders import question_email


def _receive(raw: bytes) -> int:
    with session_scope() as session:
        return store_raw(session, raw, Envelope("coder@example.org", ("ask@consultant.localhost",))).inbound_id


def _set(inbound_id: int, **values) -> None:
    with session_scope() as session:
        session.execute(update(InboundEmail).where(InboundEmail.id == inbound_id).values(**values))


def _row(inbound_id: int) -> InboundEmail:
    with session_scope() as session:
        return session.get(InboundEmail, inbound_id)


class TestListInbox:
    def test_lists_id_time_sender_size_status_and_reason(self, app):
        inbound_id = _receive(question_email())
        _set(inbound_id, status=InboundStatus.QUARANTINED, status_reason="more than 1000 MIME parts")
        other = _receive(question_email())
        with session_scope() as session:
            [row] = list_inbox(session, status=InboundStatus.QUARANTINED)
            everything = list_inbox(session)
        assert (row.id, row.sender, row.status, row.reason) == (
            inbound_id, "coder@example.org", "quarantined", "more than 1000 MIME parts")
        assert row.size == _row(inbound_id).size and row.received_at == _row(inbound_id).received_at
        assert [r.id for r in everything] == [inbound_id, other]


class TestRetry:
    def test_a_quarantined_row_is_reset_and_queued_after_commit(self, app, dispatched):
        inbound_id = _receive(question_email())
        _set(inbound_id, status=InboundStatus.QUARANTINED, status_reason="processing failed 5 times", attempts=5,
             last_error="KeyError at x.py:1")
        dispatched.jobs.clear()
        with session_scope() as session:
            [result] = retry(session, [inbound_id])
            assert dispatched.jobs == []  # not before the commit
        assert result.retried
        row = _row(inbound_id)
        assert (row.status, row.status_reason, row.attempts, row.last_error) == ("received", None, 0, None)
        assert dispatched.named(jobs.PROCESS_INBOUND) == [(inbound_id,)]

    def test_a_retried_message_is_processed_again(self, app):
        inbound_id = _receive(question_email("What is ICD-10-CM code K76.0?"))
        _set(inbound_id, status=InboundStatus.QUARANTINED, status_reason="header section larger than 65536 bytes")
        with session_scope() as session:
            retry(session, [inbound_id])
        assert run_inbound(app, inbound_id).status == InboundStatus.PROCESSED

    def test_a_row_that_is_not_quarantined_is_refused_unless_forced(self, app, dispatched):
        inbound_id = _receive(question_email())
        _set(inbound_id, status=InboundStatus.MACHINE, status_reason="bounce")
        dispatched.jobs.clear()
        with session_scope() as session:
            [refused] = retry(session, [inbound_id])
        assert (refused.retried, refused.reason) == (False, "status is machine, not quarantined (use --force)")
        assert _row(inbound_id).status == "machine" and dispatched.jobs == []
        with session_scope() as session:
            [forced] = retry(session, [inbound_id], force=True)
        assert forced.retried and _row(inbound_id).status == "received"

    def test_an_unknown_id_is_named(self, app):
        with session_scope() as session:
            [result] = retry(session, [999])
        assert (result.retried, result.reason) == (False, "no such message")
