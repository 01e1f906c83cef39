from __future__ import annotations

from sqlalchemy import select, update

from consultant import jobs
from consultant.db.models import AuditEntry, InboundEmail, InboundStatus, OutboundEmail, OutboundStatus
from consultant.db.session import session_scope
from consultant.mail.inbound import Envelope, store_raw
from tests.builders import question_email
from tests.support.web import ask, csrf_of, sign_in


class TestOutbox:
    def test_failed_reply_is_shown_and_retried(self, client, staff_app, dispatched):
        ask(staff_app, question_email("What is K76.0?"))
        with session_scope() as session:
            session.execute(update(OutboundEmail).values(status=OutboundStatus.FAILED, attempts=7,
                                                         last_error="550 mailbox unavailable"))
        sign_in(client)
        page = client.get("/outbox?status=failed").text
        assert "550 mailbox unavailable" in page and "<td>7</td>" in page
        after = client.post("/outbox/1/retry", data={"csrf": csrf_of(page)})
        assert "reply 1 queued again" in after.text
        with session_scope() as session:
            row = session.get(OutboundEmail, 1)
            assert (row.status, row.attempts) == (OutboundStatus.PENDING, 0)
            assert session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())) == "retry_outbound"
        assert dispatched.named(jobs.SEND_OUTBOUND) == [(1,)]
        again = client.post("/outbox/1/retry", data={"csrf": csrf_of(page)})
        assert "is not a failed one" in again.text


class TestQuarantine:
    def test_quarantined_message_is_listed_and_reprocessed(self, client, staff_app, dispatched):
        reason = "processing failed 5 times: OperationalError at session.py:12"
        with session_scope() as session:
            store_raw(session, question_email("What is K76.0?"), Envelope("coder@example.org", ("ask@x",)))
            session.execute(update(InboundEmail).values(status=InboundStatus.QUARANTINED, status_reason=reason))
        woken = len(dispatched.named(jobs.PROCESS_INBOUND))
        page = sign_in(client) and client.get("/quarantine").text
        assert reason in page
        after = client.post("/quarantine/1/reprocess", data={"csrf": csrf_of(page)})
        assert "message 1 sent for processing" in after.text
        with session_scope() as session:
            assert session.get(InboundEmail, 1).status == InboundStatus.RECEIVED
        assert dispatched.named(jobs.PROCESS_INBOUND)[woken:] == [(1,)]
