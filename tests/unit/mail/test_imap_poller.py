from consultant.mail.imap_poller import Backoff, envelope_sender


class TestEnvelopeSender:
    def test_the_delivering_servers_return_path_wins(self):
        raw = b"Return-Path: <bounces@lists.example>\r\nFrom: Jane <jane@clinic.example>\r\n\r\nbody\r\n"
        assert envelope_sender(raw) == "<bounces@lists.example>"

    def test_a_null_return_path_stays_null_so_a_bounce_is_not_answered(self):
        assert envelope_sender(b"Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.example\r\n\r\n") == "<>"

    def test_without_return_path_the_from_address(self):
        assert envelope_sender(b"From: Jane <jane@clinic.example>\r\nSubject: x\r\n\r\nReturn-Path: <no@x>\r\n") == (
            "jane@clinic.example")

    def test_garbage_gives_an_empty_sender(self):
        assert envelope_sender(b"\x00\xff no headers here") == ""


class TestBackoff:
    def test_doubles_up_to_the_limit_and_starts_again_after_reset(self):
        backoff = Backoff(first=1.0, limit=5.0)
        assert [backoff.next() for _ in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
        backoff.reset()
        assert backoff.next() == 1.0
