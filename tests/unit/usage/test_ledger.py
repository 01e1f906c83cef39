from sqlalchemy import select

from consultant.db.models import Sender
from consultant.db.session import session_scope
from consultant.usage import ledger


class TestRecord:
    def test_an_event_is_recorded_once_per_ref_key(self, app):
        with session_scope() as session:
            sender_id = ledger.sender_for(session, "coder@example.org", "A Coder")
            assert ledger.record(session, sender_id, ledger.QUESTION, "question:1")
            assert not ledger.record(session, sender_id, ledger.QUESTION, "question:1")
        with session_scope() as session:
            assert [u.questions for u in ledger.usage_by_sender(session)] == [1]


class TestUsageBySender:
    def test_counts_questions_and_replies_per_sender(self, app):
        with session_scope() as session:
            one = ledger.sender_for(session, "one@example.org")
            ledger.sender_for(session, "two@example.org")
            for key in ("question:1", "question:2"):
                ledger.record(session, one, ledger.QUESTION, key)
            ledger.record(session, one, ledger.REPLY, "reply:1")
        with session_scope() as session:
            rows = {u.address: u for u in ledger.usage_by_sender(session)}
        assert (rows["one@example.org"].questions, rows["one@example.org"].replies) == (2, 1)
        assert (rows["two@example.org"].questions, rows["two@example.org"].replies) == (0, 0)
        assert rows["one@example.org"].as_dict()["first_seen"].endswith("+00:00")


class TestSenderFor:
    def test_returns_the_same_sender_and_moves_last_seen(self, app):
        with session_scope() as session:
            first = ledger.sender_for(session, "coder@example.org")
            seen = session.scalar(select(Sender.last_seen).where(Sender.id == first))
        with session_scope() as session:
            again = ledger.sender_for(session, "coder@example.org", "Late Name")
            row = session.get(Sender, again)
            assert again == first
            assert row.last_seen >= seen
            assert row.display_name == "Late Name"

    def test_keeps_the_first_display_name(self, app):
        with session_scope() as session:
            ledger.sender_for(session, "coder@example.org", "First Name")
        with session_scope() as session:
            row = session.get(Sender, ledger.sender_for(session, "coder@example.org", "Other Name"))
            assert row.display_name == "First Name"
