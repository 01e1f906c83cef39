"""How replies leave: an SMTP relay, or a local maildir when no relay is configured.

Every sender raises TemporarySendError (try again later) or PermanentSendError (give up)."""

from __future__ import annotations

import mailbox
import os
import smtplib
import threading
from pathlib import Path
from typing import NoReturn, Protocol

from consultant.settings import Settings


class SendError(Exception):
    pass


class TemporarySendError(SendError):
    pass


class PermanentSendError(SendError):
    pass


class MailSender(Protocol):
    def send(self, mail_from: str, rcpt_to: list[str], raw: bytes) -> None: ...


class SMTPSender:
    """Keeps one connection per process and reuses it; reconnects once when the relay dropped it."""

    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._connection: smtplib.SMTP | None = None
        self._lock = threading.Lock()

    def send(self, mail_from: str, rcpt_to: list[str], raw: bytes) -> None:
        with self._lock:
            reused = self._connection is not None
            try:
                self._attempt(mail_from, rcpt_to, raw)
            except smtplib.SMTPServerDisconnected as exc:
                self.close()
                if not reused:
                    raise TemporarySendError("relay closed the connection") from exc
                # an idle reused connection may have been dropped by the relay: one fresh try
                try:
                    self._attempt(mail_from, rcpt_to, raw)
                except smtplib.SMTPServerDisconnected as again:
                    self.close()
                    raise TemporarySendError("relay closed the connection") from again

    def _attempt(self, mail_from: str, rcpt_to: list[str], raw: bytes) -> None:
        try:
            refused = self._connect().sendmail(mail_from, rcpt_to, raw)
        except smtplib.SMTPServerDisconnected:
            raise
        except smtplib.SMTPRecipientsRefused as exc:
            self._raise_for_codes([code for code, _ in exc.recipients.values()], "recipient refused")
        except smtplib.SMTPResponseException as exc:
            self.close()
            self._raise_for_codes([exc.smtp_code], "relay refused the message")
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise TemporarySendError(f"relay unavailable: {type(exc).__name__}") from exc
        if refused:
            self._raise_for_codes([code for code, _ in refused.values()], "recipient refused")

    @staticmethod
    def _raise_for_codes(codes: list[int], what: str) -> NoReturn:
        if codes and all(500 <= code < 600 for code in codes):
            raise PermanentSendError(f"{what} ({', '.join(map(str, codes))})")
        raise TemporarySendError(f"{what} ({', '.join(map(str, codes))})")

    def _connect(self) -> smtplib.SMTP:
        if self._connection is None:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout, local_hostname="consultant")
            connection.ehlo()
            self._connection = connection
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except (OSError, smtplib.SMTPException):
                pass
            self._connection = None


class MaildirSender:
    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, mail_from: str, rcpt_to: list[str], raw: bytes) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            mailbox.Maildir(self.path, create=True).add(raw)
        except OSError as exc:
            raise TemporarySendError(f"maildir not writable: {type(exc).__name__}") from exc


class MemorySender:
    """For unit tests: keeps what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[str], bytes]] = []

    def send(self, mail_from: str, rcpt_to: list[str], raw: bytes) -> None:
        self.sent.append((mail_from, list(rcpt_to), raw))


def sender_from_settings(settings: Settings) -> MailSender:
    relay = settings.relay_host_port
    if relay is None:
        return MaildirSender(settings.maildir)
    return SMTPSender(*relay, timeout=settings.relay_timeout)


_process_sender: tuple[int, MailSender] | None = None


def process_sender(settings: Settings) -> MailSender:
    """One sender per process, so a worker reuses its relay connection across tasks."""
    global _process_sender
    if _process_sender is None or _process_sender[0] != os.getpid():
        _process_sender = (os.getpid(), sender_from_settings(settings))
    return _process_sender[1]


