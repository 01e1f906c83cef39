"""The whole path on embedded defaults: `consultant run` (SQLite, filesystem broker) as a subprocess,
mail sent with smtplib, the reply read at a real aiosmtpd sink."""

from __future__ import annotations

import json
import mailbox
import smtplib
import time

import pytest

from tests.builders import question_email
from tests.support.product import WORKER_READY, Process, consultant_argv, free_port, product_env, run_command
from tests.support.servers import HOST, wait_until


@pytest.fixture
def service(tmp_path, smtp_sink):
    port = free_port()
    env = product_env(tmp_path / "var", smtp_listen=f"{HOST}:{port}", relay=smtp_sink.url)
    with Process("run", consultant_argv("run"), env, tmp_path) as run:
        run.wait_for_port(port, timeout=90)
        run.wait_for_log(WORKER_READY, timeout=90)
        run.port, run.env = port, env
        yield run


def send(port: int, raw: bytes, sender: str = "coder@example.org") -> None:
    with smtplib.SMTP(HOST, port, timeout=10) as smtp:
        smtp.sendmail(sender, ["ask@consultant.localhost"], raw)


class TestConsultantRun:
    def test_question_gets_exactly_one_threaded_grounded_reply(self, service, smtp_sink):
        raw = question_email(
            "What is ICD-10-CM code K76.0?",
            message_id="<first-try@example.org>",
            subject="Fatty liver =?utf-8?q?code=0D=0AX-Injected=3A_yes?=",
        )
        send(service.port, raw)
        [reply] = smtp_sink.wait_for(1, timeout=10)
        message = reply.message
        assert reply.rcpt_tos == ["coder@example.org"]
        assert message["In-Reply-To"] == "<first-try@example.org>"
        assert message["References"] == "<first-try@example.org>"
        assert message["Auto-Submitted"] == "auto-replied"
        assert message["Message-ID"].endswith("@consultant.localhost>")
        assert message["X-Injected"] is None
        assert message["Subject"] == "Your coding question [CC-000001]"  # never the sender's subject
        header_block = reply.raw.split(b"\r\n\r\n", 1)[0]
        assert all(line.startswith((b" ", b"\t")) or b":" in line for line in header_block.split(b"\r\n"))
        text = message.get_body(("plain",)).get_content()
        assert "K76.0 (ICD-10-CM): Fatty (change of) liver, not elsewhere classified" in text
        html = message.get_body(("html",)).get_content()
        assert "Fatty (change of) liver, not elsewhere classified" in html
        time.sleep(2)
        assert len(smtp_sink.messages) == 1

    def test_usage_and_ask_work_against_the_running_service(self, service, smtp_sink):
        asked = run_command(
            consultant_argv("ask", "--from", "newcomer@example.org", "--timeout", "20", "What is K76.0?"),
            service.env,
        )
        assert "Fatty (change of) liver, not elsewhere classified" in asked.stdout
        assert asked.stdout.startswith("Subject: Your coding question [CC-")
        usage = json.loads(run_command(consultant_argv("usage", "--json"), service.env).stdout)
        assert [(u["address"], u["questions"], u["replies"]) for u in usage] == [("newcomer@example.org", 1, 1)]
        table = run_command(consultant_argv("usage"), service.env).stdout
        assert "newcomer@example.org" in table.splitlines()[1]

    def test_an_emergency_gets_the_emergency_reply_and_is_not_charged(self, service, smtp_sink):
        send(service.port, question_email("I have chest pain and my left arm is numb. What should I do?",
                                          subject="please help", message_id="<er@example.org>"))
        [reply] = smtp_sink.wait_for(1, timeout=20)
        message = reply.message
        text = " ".join(message.get_body(("plain",)).get_content().split())
        assert text.startswith("Hello, If you or someone with you may be having a medical emergency, call emergency "
                               "services now: 911 in the US")
        assert "has not been counted against any plan" in text and "certified coder" not in text
        assert message["Subject"] == "Your coding question [CC-000001]"
        assert message["In-Reply-To"] == "<er@example.org>" and message["Auto-Submitted"] == "auto-replied"
        shown = json.loads(run_command(consultant_argv("senders", "show", "coder@example.org", "--json"),
                                       service.env).stdout)
        assert shown["quota"]["used"] == 0
        [row] = json.loads(run_command(consultant_argv("inbox", "list", "--status", "all", "--json"),
                                       service.env).stdout)
        assert row["status"] == "processed"
        assert row["reason"] == ("a possible medical emergency: describes a possible medical emergency (chest pain, "
                                 "numbness); fixed reply with the emergency line, not charged")

    def test_data_survives_a_restart(self, tmp_path, smtp_sink):
        port = free_port()
        env = product_env(tmp_path / "var", smtp_listen=f"{HOST}:{port}", relay=smtp_sink.url)
        for round_number in (1, 2):
            with Process(f"run{round_number}", consultant_argv("run"), env, tmp_path) as run:
                run.wait_for_port(port, timeout=90)
                run.wait_for_log(WORKER_READY, timeout=90)
                send(port, question_email(f"What is E11.9? ({round_number})"))
                smtp_sink.wait_for(round_number, timeout=10)
                assert run.stop() == 0
        subjects = [m.message["Subject"] for m in smtp_sink.messages]
        assert subjects == ["Your coding question [CC-000001]", "Your coding question [CC-000002]"]


class TestWithoutRelay:
    def test_reply_lands_in_the_local_maildir(self, tmp_path):
        port = free_port()
        env = product_env(tmp_path / "var", smtp_listen=f"{HOST}:{port}")
        with Process("run", consultant_argv("run"), env, tmp_path) as run:
            run.wait_for_port(port, timeout=90)
            run.wait_for_log(WORKER_READY, timeout=90)
            send(port, question_email("What is K76.0?", message_id="<maildir@example.org>"))
            box = tmp_path / "var" / "outbox-maildir"
            wait_until(lambda: box.exists() and len(mailbox.Maildir(box, create=False)) == 1, timeout=10)
        [reply] = list(mailbox.Maildir(box, create=False))
        assert reply["In-Reply-To"] == "<maildir@example.org>"
