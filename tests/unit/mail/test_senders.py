import smtplib
from pathlib import Path

import pytest

from consultant.mail.senders import (
    MaildirSender,
    MemorySender,
    PermanentSendError,
    SMTPSender,
    TemporarySendError,
    sender_from_settings,
)
from tests.support.servers import free_port

RAW = b"From: ask@consultant.localhost\r\nTo: jane@clinic.example\r\nSubject: Re: K76.0\r\n\r\nK76.0 is billable.\r\n"


def _raw(n: int) -> bytes:
    return RAW.replace(b"Re: K76.0", f"Re: K76.0 #{n}".encode())


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every TCP connection smtplib opens, as (host, port)."""
    opened: list[tuple[str, int]] = []
    original = smtplib.SMTP.connect

    def counting(self, host="localhost", port=0, source_address=None):
        opened.append((host, port))
        return original(self, host, port, source_address)

    monkeypatch.setattr(smtplib.SMTP, "connect", counting)
    return opened


@pytest.fixture
def sender(smtp_sink):
    sender = SMTPSender("127.0.0.1", smtp_sink.port, timeout=5)
    yield sender
    sender.close()


class TestSMTPSenderSend:
    def test_delivers_the_bytes_to_the_relay(self, sender, smtp_sink):
        sender.send("ask@consultant.localhost", ["jane@clinic.example"], RAW)
        [received] = smtp_sink.wait_for(1)
        assert received.mail_from == "ask@consultant.localhost"
        assert received.rcpt_tos == ["jane@clinic.example"]
        assert received.raw == RAW
        assert received.subject == "Re: K76.0"

    def test_reuses_one_connection_for_several_sends(self, sender, smtp_sink, connects):
        sender.send("ask@consultant.localhost", ["jane@clinic.example"], _raw(1))
        connection, local_port = sender._connection, sender._connection.sock.getsockname()
        sender.send("ask@consultant.localhost", ["jane@clinic.example"], _raw(2))
        sender.send("ask@consultant.localhost", ["jane@clinic.example"], _raw(3))
        assert [m.subject for m in smtp_sink.wait_for(3)] == ["Re: K76.0 #1", "Re: K76.0 #2", "Re: K76.0 #3"]
        assert connects == [("127.0.0.1", smtp_sink.port)]
        assert sender._connection is connection
        assert sender._connection.sock.getsockname() == local_port

    def test_451_from_the_relay_is_temporary(self, sender, smtp_sink):
        smtp_sink.reject_next(1, "451 4.3.0 Try again later")
        with pytest.raises(TemporarySendError, match="451"):
            sender.send("ask@consultant.localhost", ["jane@clinic.example"], RAW)
        assert smtp_sink.messages == []

    def test_550_from_the_relay_is_permanent(self, sender, smtp_sink):
        smtp_sink.reject_next(1, "550 5.7.1 Message refused")
        with pytest.raises(PermanentSendError, match="550"):
            sender.send("ask@consultant.localhost", ["jane@clinic.example"], RAW)
        assert smtp_sink.messages == []

    def test_next_send_after_a_rejection_succeeds(self, sender, smtp_sink):
        smtp_sink.reject_next(1, "451 4.3.0 Try again later")
        with pytest.raises(TemporarySendError):
            sender.send("ask@consultant.localhost", ["jane@clinic.example"], _raw(1))
        sender.send("ask@consultant.localhost", ["jane@clinic.example"], _raw(2))
        assert [m.subject for m in smtp_sink.wait_for(1)] == ["Re: K76.0 #2"]

    def test_closed_port_is_temporary(self):
        sender = SMTPSender("127.0.0.1", free_port(), timeout=5)
        with pytest.raises(TemporarySendError, match="relay unavailable"):
            sender.send("ask@consultant.localhost", ["jane@clinic.example"], RAW)
        assert sender._connection is None

    def test_relay_restart_reconnects_once_and_delivers(self, sender, smtp_sink, connects):
        sender.send("ask@consultant.localhost", ["jane@clinic.example"], _raw(1))
        smtp_sink.stop()  # drops the open connection
        smtp_sink.start()  # same port, a new server
        sender.send("ask@consultant.localhost", ["jane@clinic.example"], _raw(2))
        assert [m.subject for m in smtp_sink.wait_for(2)] == ["Re: K76.0 #1", "Re: K76.0 #2"]
        assert connects == [("127.0.0.1", smtp_sink.port)] * 2

    def test_relay_gone_after_dropping_the_connection_is_temporary(self, sender, smtp_sink, connects):
        sender.send("ask@consultant.localhost", ["jane@clinic.example"], _raw(1))
        smtp_sink.stop()
        with pytest.raises(TemporarySendError):
            sender.send("ask@consultant.localhost", ["jane@clinic.example"], _raw(2))
        assert len(connects) == 2  # the first connection and one fresh try
        assert sender._connection is None


class TestMaildirSenderSend:
    def test_writes_the_message_into_new_of_a_folder_that_did_not_exist(self, tmp_path: Path):
        path = tmp_path / "var" / "deeper" / "outbox-maildir"
        MaildirSender(path).send("ask@consultant.localhost", ["jane@clinic.example"], RAW)
        files = list((path / "new").iterdir())
        assert len(files) == 1
        assert files[0].read_bytes() == RAW
        assert (path / "cur").is_dir() and (path / "tmp").is_dir()

    def test_each_send_is_a_new_file(self, tmp_path: Path):
        sender = MaildirSender(tmp_path / "outbox")
        sender.send("a@x.example", ["b@x.example"], _raw(1))
        sender.send("a@x.example", ["b@x.example"], _raw(2))
        contents = sorted(f.read_bytes() for f in (tmp_path / "outbox" / "new").iterdir())
        assert contents == [_raw(1), _raw(2)]

    def test_unwritable_location_is_temporary(self, tmp_path: Path):
        blocker = tmp_path / "a-file"
        blocker.write_text("not a folder")
        with pytest.raises(TemporarySendError, match="maildir not writable"):
            MaildirSender(blocker / "outbox").send("a@x.example", ["b@x.example"], RAW)


class TestMemorySenderSend:
    def test_records_what_it_was_asked_to_send(self):
        sender = MemorySender()
        recipients = ["jane@clinic.example"]
        sender.send("ask@consultant.localhost", recipients, RAW)
        recipients.append("later@x.example")
        assert sender.sent == [("ask@consultant.localhost", ["jane@clinic.example"], RAW)]


class TestSenderFromSettings:
    def test_relay_gives_an_smtp_sender(self, configure):
        sender = sender_from_settings(configure(relay="smtp://127.0.0.1:2526", relay_timeout="7"))
        assert isinstance(sender, SMTPSender)
        assert (sender.host, sender.port, sender.timeout) == ("127.0.0.1", 2526, 7.0)

    def test_no_relay_gives_the_local_maildir(self, configure):
        settings = configure()
        sender = sender_from_settings(settings)
        assert isinstance(sender, MaildirSender)
        assert sender.path == settings.maildir
