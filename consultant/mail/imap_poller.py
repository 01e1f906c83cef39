"""The IMAP edge: watch one mailbox, store each new message, and only then put it away.

A round: select the mailbox, compare its UIDVALIDITY with the checkpoint (a change starts again from the
first UID; store_raw recognises messages it already has), store and put away every new message in UID
order, move the checkpoint over the ones done, then IDLE (or sleep) until there is news. A message that
fails stays where it is, unflagged, and is tried again next round; the others go on. Any network or
server error ends the session; the poller reconnects after a growing pause."""

from __future__ import annotations

import imaplib
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.utils import parseaddr

from imapclient.exceptions import IMAPClientError

from consultant.db.session import in_transaction
from consultant.mail.imap_checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from consultant.mail.imap_session import MailboxSession, choose_method, connect
from consultant.mail.imap_url import ImapAccount
from consultant.mail.inbound import Envelope, Stored, store_raw

log = logging.getLogger(__name__)

Store = Callable[[bytes, Envelope], Stored]
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def store_in_database(raw: bytes, envelope: Envelope) -> Stored:
    return in_transaction(lambda session: store_raw(session, raw, envelope))


def envelope_sender(raw: bytes) -> str:
    """The delivering server's Return-Path (`<>` for a bounce), else the From address."""
    end = _HEADER_END.search(raw)
    headers = BytesHeaderParser().parsebytes(raw[: end.end()] if end else raw[:65536])
    return_path = headers.get("Return-Path")
    if return_path is not None:
        return str(return_path).strip()
    return parseaddr(str(headers.get("From", "")))[1]


@dataclass
class Backoff:
    first: float = 1.0
    limit: float = 300.0
    current: float = field(init=False, default=0.0)

    def next(self) -> float:
        self.current = self.first if not self.current else min(self.current * 2, self.limit)
        return self.current

    def reset(self) -> None:
        self.current = 0.0


@dataclass
class ImapPoller:
    account: ImapAccount
    recipient: str
    max_message_bytes: int
    store: Store = store_in_database
    backoff: Backoff = field(default_factory=Backoff)
    stop_event: threading.Event = field(default_factory=threading.Event)
    rounds: int = 0

    def stop(self) -> None:
        self.stop_event.set()

    def run(self) -> None:
        """Until stop(): connect, serve, and after any failure wait and connect again."""
        while not self.stop_event.is_set():
            try:
                self._serve()
            except Exception as exc:  # network, TLS, server, login, database: the same cure
                self._pause_after(exc)

    def _pause_after(self, exc: BaseException) -> None:
        delay = self.backoff.next()
        log.warning("imap session ended account=%s error=%s: %s; reconnecting in %.1fs",
                    self.account.key, type(exc).__name__, str(exc)[:200], delay)
        self.stop_event.wait(delay)

    def _serve(self) -> None:
        with connect(self.account) as client:
            session = MailboxSession(client, self.account, choose_method(self.account, client))
            idle = self.account.idle_seconds > 0 and client.has_capability("IDLE")
            log.info("imap connected account=%s mailbox=%s after=%s wait=%s", self.account.key,
                     self.account.mailbox, session.method, "idle" if idle else "poll")
            while not self.stop_event.is_set():
                all_done = self.poll_round(session)
                self.backoff.reset()
                if not all_done:
                    self.stop_event.wait(min(self.account.poll_seconds, 5.0))
                elif idle:
                    session.wait_for_news(self.account.idle_seconds, self.stop_event.is_set)
                else:
                    self.stop_event.wait(self.account.poll_seconds)

    def poll_round(self, session: MailboxSession) -> bool:
        """Store and put away every new message; return whether all of them are done."""
        uidvalidity = session.select()
        checkpoint = self._checkpoint(uidvalidity)
        last_done, all_done = checkpoint.last_uid, True
        for uid, size in session.new_messages(checkpoint.last_uid).items():
            if self.stop_event.is_set():
                return False
            done = self._take(session, uid, size)
            if done and all_done:
                last_done = uid
                self._save(Checkpoint(uidvalidity, last_done))
            all_done = all_done and done
        self.rounds += 1
        return all_done

    def _checkpoint(self, uidvalidity: int) -> Checkpoint:
        saved = in_transaction(lambda s: load_checkpoint(s, self.account.key, self.account.mailbox))
        start = (saved or Checkpoint(uidvalidity, 0)).start_for(uidvalidity)
        if saved is None or saved != start:
            if saved is not None:
                log.warning("imap uidvalidity changed account=%s mailbox=%s old=%d new=%d: resync from the first UID",
                            self.account.key, self.account.mailbox, saved.uidvalidity, uidvalidity)
            self._save(start)
        return start

    def _save(self, checkpoint: Checkpoint) -> None:
        in_transaction(lambda s: save_checkpoint(s, self.account.key, self.account.mailbox, checkpoint))

    def _take(self, session: MailboxSession, uid: int, size: int) -> bool:
        """One message: stored then put away (True), rejected as too big (True), or left for later (False)."""
        if size > self.max_message_bytes:
            session.reject(uid)
            log.warning("imap rejected uid=%d size=%d: larger than %d bytes; moved to %s", uid, size,
                        self.max_message_bytes, self.account.rejected_folder)
            return True
        try:
            raw = session.fetch(uid)
        except imaplib.IMAP4.abort:
            raise
        except IMAPClientError as exc:  # the server cannot give this one message; the others go on
            log.error("imap fetch failed uid=%d size=%d error=%s", uid, size, type(exc).__name__)
            return False
        if raw is None:
            log.info("imap uid=%d vanished before fetch", uid)
            return True
        fetched = len(raw)  # only sizes and ids are logged: the message may carry patient data
        try:
            stored = self.store(raw, self._envelope(raw))
        except Exception as exc:  # left unflagged in the mailbox: fetched again next round
            log.error("imap store failed uid=%d size=%d error=%s", uid, fetched, type(exc).__name__)
            return False
        session.put_away(uid)
        log.info("imap stored uid=%d inbound=%d size=%d new=%s", uid, stored.inbound_id, fetched, stored.created)
        return True

    def _envelope(self, raw: bytes) -> Envelope:
        return Envelope(mail_from=envelope_sender(raw), rcpt_to=(self.recipient,), channel="imap",
                        peer=f"{self.account.host}:{self.account.port}")
