from consultant.db.session import session_scope
from consultant.mail.imap_checkpoint import Checkpoint, load_checkpoint, save_checkpoint


class TestCheckpointStartFor:
    def test_same_uidvalidity_keeps_the_position(self):
        assert Checkpoint(7, 42).start_for(7) == Checkpoint(7, 42)

    def test_new_uidvalidity_starts_from_the_first_uid(self):
        assert Checkpoint(7, 42).start_for(8) == Checkpoint(8, 0)


class TestSaveAndLoadCheckpoint:
    def test_unknown_mailbox_has_none(self, app):
        with session_scope() as session:
            assert load_checkpoint(session, "u@h:993", "INBOX") is None

    def test_saved_twice_keeps_the_last_per_account_and_mailbox(self, app):
        with session_scope() as session:
            save_checkpoint(session, "u@h:993", "INBOX", Checkpoint(7, 3))
            save_checkpoint(session, "u@h:993", "Other", Checkpoint(9, 1))
        with session_scope() as session:
            save_checkpoint(session, "u@h:993", "INBOX", Checkpoint(7, 5))
        with session_scope() as session:
            assert load_checkpoint(session, "u@h:993", "INBOX") == Checkpoint(7, 5)
            assert load_checkpoint(session, "u@h:993", "Other") == Checkpoint(9, 1)
            assert load_checkpoint(session, "v@h:993", "INBOX") is None
