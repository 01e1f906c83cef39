"""One logged-in IMAP connection: list what is new, fetch it without marking it read, put it away, wait for news.

Nothing here decides about durability; the poller stores a message before it asks this module to put it away."""

from __future__ import annotations

import select
import ssl
from dataclasses import dataclass, field
from time import monotonic
from typing import Literal

from imapclient import DELETED, SEEN, IMAPClient
from imapclient.exceptions import IMAPClientError

from consultant.mail.imap_url import ImapAccount

Method = Literal["move", "copy", "flag"]
REJECTED_KEYWORD = "$ConsultantRejected"
_NEWS = (b"EXISTS", b"RECENT")


class ServerCannot(RuntimeError):
    """The server lacks what the configuration asks for (e.g. after=move without MOVE)."""


class ConnectionLost(ConnectionError):
    """The server closed the connection (EOF or BYE) while we waited."""


def connect(account: ImapAccount) -> IMAPClient:
    context = None
    if account.security != "none":
        context = ssl.create_default_context(cafile=account.ca_file)
    client = IMAPClient(account.host, account.port, ssl=account.security == "tls", ssl_context=context,
                        timeout=account.timeout)
    try:
        if account.security == "starttls":
            client.starttls(context)  # raises CapabilityError when the server does not offer it
        client.login(account.username, account.password)
    except BaseException:
        client.shutdown()
        raise
    return client


def choose_method(account: ImapAccount, client: IMAPClient) -> Method:
    """MOVE when the server has it, else COPY + \\Deleted + UID EXPUNGE (needs UIDPLUS), else a flag."""
    has_move, has_uidplus = client.has_capability("MOVE"), client.has_capability("UIDPLUS")
    if account.after == "auto":
        return "move" if has_move else "copy" if has_uidplus else "flag"
    if account.after == "move" and not has_move:
        raise ServerCannot("after=move but the server does not offer MOVE")
    if account.after == "copy" and not has_uidplus:
        raise ServerCannot("after=copy needs UIDPLUS (UID EXPUNGE), which the server does not offer")
    return account.after


@dataclass
class MailboxSession:
    client: IMAPClient
    account: ImapAccount
    method: Method
    _folders_seen: set[str] = field(default_factory=set)

    def select(self) -> int:
        """Select the watched mailbox (again); return its UIDVALIDITY."""
        status = self.client.select_folder(self.account.mailbox)
        self.news_reported()  # what SELECT itself said is known now
        return int(status[b"UIDVALIDITY"])

    def news_reported(self) -> bool:
        """Whether the server announced new mail in the reply to some other command since the last look.

        Such an EXISTS comes once: a client that then IDLEs without looking waits for the next message.
        imaplib keeps untagged responses nobody asked for in `untagged_responses`."""
        untagged = self.client._imap.untagged_responses
        return bool(untagged.pop("EXISTS", None)) | bool(untagged.pop("RECENT", None))

    def new_messages(self, after_uid: int) -> dict[int, int]:
        """UID -> size of every message above `after_uid` not yet put away, in UID order."""
        criteria = ["UID", f"{after_uid + 1}:*", "NOT", "DELETED",
                    "NOT", "KEYWORD", self.account.keyword, "NOT", "KEYWORD", REJECTED_KEYWORD]
        uids = [uid for uid in self.client.search(criteria) if uid > after_uid]  # "N:*" always matches the last UID
        if not uids:
            return {}
        sizes = self.client.fetch(uids, ["RFC822.SIZE"])
        return {uid: int(sizes[uid][b"RFC822.SIZE"]) for uid in sorted(uids) if uid in sizes}

    def fetch(self, uid: int) -> bytes | None:
        """The message exactly as the server has it, leaving \\Seen alone; None if it has gone meanwhile."""
        data = self.client.fetch([uid], ["BODY.PEEK[]"]).get(uid)
        return None if data is None else bytes(data[b"BODY[]"])

    def put_away(self, uid: int) -> None:
        self._file(uid, self.account.processed_folder, [SEEN, self.account.keyword])

    def reject(self, uid: int) -> None:
        self._file(uid, self.account.rejected_folder, [REJECTED_KEYWORD])

    def _file(self, uid: int, folder: str, flags: list) -> None:
        if self.method == "flag":
            self.client.add_flags([uid], flags)
            return
        self._ensure_folder(folder)
        if self.method == "move":
            self.client.move([uid], folder)
        else:
            self.client.copy([uid], folder)
            self.client.add_flags([uid], [DELETED])
            self.client.uid_expunge([uid])

    def _ensure_folder(self, folder: str) -> None:
        if folder in self._folders_seen:
            return
        if not self.client.folder_exists(folder):
            try:
                self.client.create_folder(folder)
            except IMAPClientError:  # created meanwhile (by us, before a cut connection, or by someone else)
                if not self.client.folder_exists(folder):
                    raise
        self._folders_seen.add(folder)

    def wait_for_news(self, seconds: float, stopping) -> None:
        """IDLE for up to `seconds` (the caller keeps it at most 10 minutes), returning early on new mail or
        when `stopping()` turns true; raises ConnectionLost if the server goes away."""
        if self.news_reported():
            return
        self.client.idle()
        deadline = monotonic() + seconds
        while not stopping() and (left := deadline - monotonic()) > 0:
            if self._buffered():
                break  # read off the socket with IDLE's continuation: select() cannot see it, so go and look
            if not self._readable(min(left, 1.0)):
                continue
            responses = self.client.idle_check(timeout=0)
            if not responses:  # readable yet nothing to read: the peer closed the connection
                raise ConnectionLost("connection closed during IDLE")
            if any(r[0] == b"BYE" for r in responses):
                raise ConnectionLost("server said BYE during IDLE")
            if any(len(r) > 1 and r[1] in _NEWS for r in responses):
                break
        self.client.idle_done()

    def _buffered(self) -> bool:
        """Bytes imaplib has already taken off the socket (into its buffered reader) that nobody has parsed.

        A server often sends "+ idling" and "* 1 EXISTS" in one TLS record; reading the continuation then
        buffers the EXISTS too, and waiting on the socket would miss it until IDLE is renewed."""
        sock = self.client.socket()
        previous = sock.gettimeout()
        sock.settimeout(0.0)
        try:
            return bool(self.client._imap.file.peek(1))
        except (BlockingIOError, ssl.SSLWantReadError, InterruptedError):
            return False
        finally:
            sock.settimeout(previous)

    def _readable(self, timeout: float) -> bool:
        sock = self.client.socket()
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return True
        return bool(select.select([sock], [], [], timeout)[0])
