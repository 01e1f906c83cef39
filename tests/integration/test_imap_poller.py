"""The IMAP poller against a real Dovecot (tests/support/dovecot.py), storing into a real SQLite database."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from imapclient.exceptions import CapabilityError
from sqlalchemy import select

from consultant import jobs
from consultant.db.models import InboundEmail
from consultant.db.session import session_scope
from consultant.mail.imap_checkpoint import load_checkpoint
from consultant.mail.imap_poller import Backoff, ImapPoller, store_in_database
from consultant.mail.imap_session import REJECTED_KEYWORD, connect
from consultant.mail.imap_url import parse_imap_url
from tests.builders import question_email
from tests.support.dovecot import DovecotServer
from tests.support.servers import wait_until


@pytest.fixture
def dovecot() -> Iterator[DovecotServer]:
    with DovecotServer() as server:
        yield server


def make_poller(url: str, **kwargs) -> ImapPoller:
    kwargs.setdefault("max_message_bytes", 1_000_000)
    return ImapPoller(parse_imap_url(url), "ask@consultant.localhost", backoff=Backoff(first=0.1, limit=1.0), **kwargs)


@contextmanager
def running(poller: ImapPoller) -> Iterator[ImapPoller]:
    thread = threading.Thread(target=poller.run, name="imap-poller", daemon=True)
    thread.start()
    try:
        yield poller
    finally:
        poller.stop()
        thread.join(30)
        assert not thread.is_alive()


def stored() -> list[tuple[str | None, str, str]]:
    with session_scope() as session:
        rows = session.execute(select(InboundEmail.message_id, InboundEmail.channel, InboundEmail.mail_from)
                               .order_by(InboundEmail.id))
        return [tuple(row) for row in rows]


def stored_ids() -> list[str | None]:
    return [message_id for message_id, _, _ in stored()]


class TestIdle:
    def test_new_mail_during_idle_is_fetched_promptly(self, app, dovecot, dispatched, capsys):
        poller = make_poller(dovecot.url(poll="3600"))  # only IDLE can bring the mail in within the wait
        with running(poller):
            wait_until(lambda: poller.rounds >= 1)
            appended = time.monotonic()
            dovecot.append(question_email(message_id="<idle@example.org>"))
            wait_until(lambda: stored_ids() == ["<idle@example.org>"], timeout=60)
            took = time.monotonic() - appended
            wait_until(lambda: dovecot.uids("Processed") == [1])
        with capsys.disabled():
            print(f"\nimap: APPEND -> stored during IDLE in {took * 1000:.0f} ms")
        assert stored() == [("<idle@example.org>", "imap", "coder@example.org")]
        assert dovecot.uids("INBOX") == []
        assert len(dispatched.named(jobs.PROCESS_INBOUND)) == 1
        with session_scope() as session:
            checkpoint = load_checkpoint(session, poller.account.key, "INBOX")
        assert checkpoint is not None and checkpoint.last_uid == 1


class TestReconnect:
    def test_server_restart_mid_session_loses_and_duplicates_nothing(self, app, dovecot):
        with running(make_poller(dovecot.url(poll="3600"))) as poller:
            dovecot.append(question_email(message_id="<before@example.org>"))
            wait_until(lambda: stored_ids() == ["<before@example.org>"])
            dovecot.restart()
            dovecot.append(question_email(message_id="<after@example.org>"))
            wait_until(lambda: len(stored_ids()) == 2, timeout=60)
            wait_until(lambda: dovecot.uids("Processed") == [1, 2])
            rounds = poller.rounds
            wait_until(lambda: poller.rounds > rounds or dovecot.uids("INBOX") == [])
        assert stored_ids() == ["<before@example.org>", "<after@example.org>"]
        assert dovecot.uids("INBOX") == []

    def test_a_store_that_fails_leaves_the_message_unflagged_until_it_is_stored_once(self, app, dovecot):
        failing, release, calls = threading.Event(), threading.Event(), []

        def store_failing_once(raw, envelope):
            calls.append(1)
            if len(calls) == 1:
                failing.set()
                release.wait(10)
                raise ConnectionError("database went away")
            return store_in_database(raw, envelope)

        with running(make_poller(dovecot.url(poll="0.5"), store=store_failing_once)):
            dovecot.append(question_email(message_id="<retry@example.org>"))
            assert failing.wait(10)
            [flags] = dovecot.flags("INBOX").values()  # fetched with BODY.PEEK: not even \Seen
            assert not {b"\\Seen", b"$ConsultantStored"} & set(flags)
            release.set()
            wait_until(lambda: dovecot.uids("Processed") == [1], timeout=60)
        assert stored_ids() == ["<retry@example.org>"]
        assert len(calls) == 2
        assert dovecot.uids("INBOX") == []

    def test_connection_cut_between_fetch_and_commit_stores_once(self, app, dovecot, dispatched):
        calls = []

        def store_after_a_cut(raw, envelope):
            calls.append(1)
            if len(calls) == 1:
                dovecot.kick()
            return store_in_database(raw, envelope)

        with running(make_poller(dovecot.url(poll="3600"), store=store_after_a_cut)):
            dovecot.append(question_email(message_id="<cut@example.org>"))
            wait_until(lambda: dovecot.uids("Processed") == [1], timeout=60)
        assert len(calls) >= 2  # fetched again after the reconnect
        assert stored_ids() == ["<cut@example.org>"]
        assert len(dispatched.named(jobs.PROCESS_INBOUND)) == 1
        assert dovecot.uids("INBOX") == []


class TestUidvalidity:
    def test_recreated_mailbox_is_resynced_without_a_duplicate(self, app, dovecot, dispatched):
        first = question_email(message_id="<again@example.org>")
        dovecot.append(first, "Consult")
        with running(make_poller(dovecot.url("Consult", idle="1"))) as poller:  # a renewed IDLE selects again
            wait_until(lambda: dovecot.uids("Processed") == [1])
            with session_scope() as session:
                before = load_checkpoint(session, poller.account.key, "Consult")
            dovecot.recreate("Consult")
            dovecot.append(first, "Consult")
            dovecot.append(question_email(message_id="<new@example.org>"), "Consult")
            wait_until(lambda: dovecot.uids("Consult") == [] and len(dovecot.uids("Processed")) == 3, timeout=60)
        with session_scope() as session:
            after = load_checkpoint(session, poller.account.key, "Consult")
        assert before is not None and after is not None
        assert after.uidvalidity != before.uidvalidity and after.last_uid == 2
        assert stored_ids() == ["<again@example.org>", "<new@example.org>"]
        assert len(dispatched.named(jobs.PROCESS_INBOUND)) == 2


class TestWithoutMoveOrIdle:
    def test_server_without_move_uses_copy_deleted_and_uid_expunge(self, app, caplog):
        caplog.set_level("DEBUG", logger="imapclient")
        with DovecotServer(without=("MOVE",)) as server, running(make_poller(server.url(poll="0.3"))):
            server.append(question_email(message_id="<copy@example.org>"))
            wait_until(lambda: server.uids("Processed") == [1] and server.uids("INBOX") == [], timeout=60)
        sent = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("imapclient"))
        assert 'UID COPY 1 "Processed"' in sent
        assert "UID STORE 1 +FLAGS (\\\\Deleted)" in sent
        assert "UID EXPUNGE 1" in sent
        assert "MOVE" not in sent
        assert stored_ids() == ["<copy@example.org>"]

    def test_server_without_idle_polls(self, app, caplog):
        caplog.set_level("INFO", logger="consultant.mail.imap_poller")
        with DovecotServer(without=("IDLE",)) as server, running(make_poller(server.url(poll="0.3"))):
            server.append(question_email(message_id="<polled@example.org>"))
            wait_until(lambda: stored_ids() == ["<polled@example.org>"], timeout=60)
        assert "wait=poll" in caplog.text

    def test_flag_mode_keeps_the_message_marked_and_does_not_fetch_it_again(self, app, dovecot):
        with running(make_poller(dovecot.url(after="flag", poll="0.2", idle="0"))) as poller:
            dovecot.append(question_email(message_id="<flagged@example.org>"))
            wait_until(lambda: stored_ids() == ["<flagged@example.org>"])
            rounds = poller.rounds
            wait_until(lambda: poller.rounds >= rounds + 3)
        [(uid, flags)] = dovecot.flags("INBOX").items()
        assert {b"\\Seen", b"$ConsultantStored"} <= set(flags)
        assert stored_ids() == ["<flagged@example.org>"]


class TestBadMessages:
    def test_a_huge_and_a_malformed_message_do_not_block_the_good_ones(self, app, dovecot):
        huge = question_email("x" * 30_000, message_id="<huge@example.org>")
        malformed = b"\x00\xff not a header at all\r\n\r\n\xfe\xfe body without any structure\r\n"
        for raw in (question_email(message_id="<good1@example.org>"), huge, malformed,
                    question_email(message_id="<good2@example.org>")):
            dovecot.append(raw)
        with running(make_poller(dovecot.url(poll="0.3"), max_message_bytes=20_000)):
            wait_until(lambda: dovecot.uids("INBOX") == [], timeout=60)
        assert stored_ids() == ["<good1@example.org>", None, "<good2@example.org>"]
        assert dovecot.uids("Rejected") == [1]
        assert dovecot.uids("Processed") == [1, 2, 3]

    def test_rejected_keyword_in_flag_mode(self, app, dovecot):
        dovecot.append(question_email("y" * 5_000, message_id="<big@example.org>"))
        with running(make_poller(dovecot.url(after="flag", poll="0.3"), max_message_bytes=1_000)):
            wait_until(lambda: REJECTED_KEYWORD.encode() in dovecot.flags("INBOX")[1], timeout=60)
        assert stored_ids() == []


class TestTls:
    def test_imaps_with_a_self_signed_certificate_named_by_ca(self, app):
        with DovecotServer(tls=True) as server:
            with running(make_poller(server.url(poll="3600"))):
                server.append(question_email(message_id="<tls@example.org>"))
                wait_until(lambda: stored_ids() == ["<tls@example.org>"], timeout=60)
            untrusted = parse_imap_url(server.url().replace(f"ca={server.cert_path}", "timeout=5"))
            with pytest.raises(OSError, match="CERTIFICATE_VERIFY_FAILED"):
                connect(untrusted)

    def test_starttls_when_asked(self, app):
        with DovecotServer(starttls=True) as server:
            client = connect(parse_imap_url(server.url()))
            try:
                assert isinstance(client.socket(), ssl.SSLSocket)
            finally:
                client.logout()
            with running(make_poller(server.url(poll="3600"))):
                server.append(question_email(message_id="<starttls@example.org>"))
                wait_until(lambda: stored_ids() == ["<starttls@example.org>"], timeout=60)

    def test_starttls_is_refused_when_the_server_does_not_offer_it(self, app, dovecot):
        with pytest.raises(CapabilityError, match="STARTTLS"):
            connect(parse_imap_url(dovecot.url().replace("tls=none", "tls=starttls")))
