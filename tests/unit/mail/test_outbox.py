from datetime import timedelta

import pytest
from sqlalchemy import select, update

from consultant.db.base import utcnow
from consultant.db.models import OutboundEmail, UsageEvent
from consultant.db.session import session_scope
from consultant.mail.outbox import deliver
from consultant.mail.senders import MemorySender, PermanentSendError, SMTPSender, TemporarySendError
from tests.unit.consult.test_pipeline import process, receive
from tests.builders import question_email


class FailingSender:
    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def send(self, mail_from, rcpt_to, raw) -> None:
        self.calls += 1
        raise self.error


@pytest.fixture
def queued(app) -> int:
    return process(app, receive(question_email())).outbound_ids[0]


def row(outbound_id: int) -> OutboundEmail:
    with session_scope() as session:
        return session.get(OutboundEmail, outbound_id)


class TestDeliver:
    def test_sends_once_and_records_the_reply(self, app, queued):
        sender = MemorySender()
        assert deliver(app, queued, sender).status == "sent"
        assert deliver(app, queued, sender).status == "skipped"
        assert len(sender.sent) == 1
        mail_from, rcpt_to, raw = sender.sent[0]
        assert (mail_from, rcpt_to) == ("ask@consultant.localhost", ["coder@example.org"])
        assert raw == row(queued).raw
        assert row(queued).sent_at is not None and row(queued).attempts == 1
        with session_scope() as session:
            assert session.scalars(select(UsageEvent.kind).order_by(UsageEvent.id)).all() == ["consultation", "question",
                                                                                     "reply"]

    def test_temporary_failure_follows_the_retry_schedule(self, app, queued):
        sender = FailingSender(TemporarySendError("relay unavailable: ConnectionRefusedError"))
        delivery = deliver(app, queued, sender)
        assert (delivery.status, delivery.retry_in) == ("retry", app.send_retry_delays[0])
        failed = row(queued)
        assert failed.last_error == "relay unavailable: ConnectionRefusedError"
        assert failed.next_attempt_at > utcnow() + timedelta(seconds=app.send_retry_delays[0] - 5)
        assert deliver(app, queued, sender).status == "skipped"  # not due yet
        assert sender.calls == 1

    def test_gives_up_after_the_last_scheduled_retry(self, app, queued):
        sender = FailingSender(TemporarySendError("relay unavailable"))
        statuses = []
        for _ in range(len(app.send_retry_delays) + 1):
            statuses.append(deliver(app, queued, sender).status)
            with session_scope() as session:
                session.execute(update(OutboundEmail).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        assert statuses == ["retry"] * len(app.send_retry_delays) + ["failed"]
        assert row(queued).status == "failed" and row(queued).attempts == len(app.send_retry_delays) + 1

    def test_permanent_failure_is_final_and_visible(self, app, queued):
        delivery = deliver(app, queued, FailingSender(PermanentSendError("recipient refused (550)")))
        assert delivery.status == "failed"
        assert row(queued).last_error == "recipient refused (550)"

    def test_a_claim_abandoned_by_a_dead_worker_is_taken_over_after_the_lease(self, app, queued):
        with session_scope() as session:
            session.execute(update(OutboundEmail).values(status="sending", claimed_at=utcnow()))
        assert deliver(app, queued, MemorySender()).status == "skipped"
        with session_scope() as session:
            expired = utcnow() - timedelta(seconds=app.sweep_after + 1)
            session.execute(update(OutboundEmail).values(claimed_at=expired))
        assert deliver(app, queued, MemorySender()).status == "sent"

    def test_real_relay_refusal_maps_to_retry(self, app, queued, smtp_sink):
        smtp_sink.reject_next(1, "451 4.3.0 Try again later")
        sender = SMTPSender("127.0.0.1", smtp_sink.port, timeout=5)
        try:
            assert deliver(app, queued, sender).status == "retry"
            with session_scope() as session:
                session.execute(update(OutboundEmail).values(next_attempt_at=utcnow()))
            assert deliver(app, queued, sender).status == "sent"
        finally:
            sender.close()
        assert len(smtp_sink.wait_for(1)) == 1
