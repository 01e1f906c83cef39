"""`consultant run` with CONSULTANT_IMAP_URL: a question APPENDed to a real Dovecot mailbox is answered at a
real SMTP sink, once, even when the mailbox is recreated (new UIDVALIDITY) and the mail shows up again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.builders import question_email
from tests.support.dovecot import DovecotServer
from tests.support.product import WORKER_READY, Process, consultant_argv, free_port, product_env
from tests.support.servers import HOST, wait_until

FINAL = ("processed", "duplicate", "machine", "quarantined")


def inbound(data_dir: Path) -> list[tuple[str, str | None, str]]:
    with sqlite3.connect(data_dir / "consultant.sqlite3") as db:
        return db.execute("select channel, message_id, status from inbound_email order by id").fetchall()


class TestImapToReply:
    def test_appended_question_gets_one_reply_even_after_the_mailbox_is_recreated(self, tmp_path, smtp_sink):
        data_dir = tmp_path / "var"
        question = question_email("What is ICD-10-CM code K76.0?", message_id="<imap-e2e@example.org>")
        relayed_copy = b"Received: from relay.example.org by mx.example.org; Tue, 24 Nov 2026 09:00:01 +0000\r\n" + question
        with DovecotServer() as dovecot:
            port = free_port()
            env = product_env(data_dir, smtp_listen=f"{HOST}:{port}", relay=smtp_sink.url,
                              imap_url=dovecot.url("Consult", idle="1"))
            with Process("run", consultant_argv("run"), env, tmp_path) as run:
                run.wait_for_port(port, timeout=90)
                run.wait_for_log(WORKER_READY, timeout=90)
                dovecot.append(question, "Consult")
                [reply] = smtp_sink.wait_for(1, timeout=30)
                assert reply.rcpt_tos == ["coder@example.org"]
                assert reply.message["In-Reply-To"] == "<imap-e2e@example.org>"
                assert "Fatty (change of) liver" in reply.message.get_body(("plain",)).get_content()

                dovecot.recreate("Consult")
                for raw in (question, relayed_copy, question_email("What is E11.9?", message_id="<second@example.org>")):
                    dovecot.append(raw, "Consult")
                smtp_sink.wait_for(2, timeout=30)
                wait_until(lambda: dovecot.uids("Consult") == [] and len(inbound(data_dir)) == 3
                           and all(status in FINAL for _, _, status in inbound(data_dir)), timeout=30,
                           message=lambda: f"{inbound(data_dir)}\n{run.log()[-3000:]}")
                assert run.stop() == 0
        assert inbound(data_dir) == [("imap", "<imap-e2e@example.org>", "processed"),
                                     ("imap", "<imap-e2e@example.org>", "duplicate"),
                                     ("imap", "<second@example.org>", "processed")]
        with sqlite3.connect(data_dir / "consultant.sqlite3") as db:
            assert db.execute("select count(*) from outbound_email").fetchone() == (2,)
        assert [m.message["In-Reply-To"] for m in smtp_sink.messages] == ["<imap-e2e@example.org>", "<second@example.org>"]
