"""The same path on Redis + PostgreSQL with separate processes, as docker-compose lays it out:
`consultant smtpd` and a Celery worker (with beat for the sweeper), replies at a real sink."""

from __future__ import annotations

import smtplib
import time

import pytest
import redis
from sqlalchemy import create_engine, text

from consultant.supervisor import worker_argv
from tests.builders import question_email
from tests.support.product import WORKER_READY, Process, consultant_argv, free_port, product_env, run_command
from tests.support.servers import HOST, wait_until


class Production:
    def __init__(self, tmp_path, env, port):
        self.tmp_path, self.env, self.port = tmp_path, env, port
        self.receiver = Process("smtpd", consultant_argv("smtpd"), env, tmp_path)
        self.worker: Process | None = None
        self.generation = 0

    def start_worker(self) -> Process:
        self.generation += 1
        self.worker = Process(f"worker{self.generation}", worker_argv(concurrency=2, beat=True), self.env, self.tmp_path)
        self.worker.start().wait_for_log(WORKER_READY, timeout=60)
        return self.worker

    def send(self, raw: bytes, sender: str = "coder@example.org") -> None:
        with smtplib.SMTP(HOST, self.port, timeout=10) as smtp:
            smtp.sendmail(sender, ["ask@consultant.localhost"], raw)

    def query(self, sql: str):
        engine = create_engine(self.env["CONSULTANT_DATABASE_URL"])
        try:
            with engine.connect() as connection:
                return connection.execute(text(sql)).all()
        finally:
            engine.dispose()


@pytest.fixture
def production(tmp_path, pg_catalog_url, redis_url, smtp_sink):
    port = free_port()
    env = product_env(
        tmp_path / "var", database_url=pg_catalog_url, broker_url=redis_url, smtp_listen=f"{HOST}:{port}",
        relay=smtp_sink.url, sweep_interval="1", sweep_after="3",
    )
    run_command(consultant_argv("db", "upgrade"), env)  # a no-op on the template's copy, as on any upgrade
    setup = Production(tmp_path, env, port)
    setup.receiver.start().wait_for_port(port)
    try:
        yield setup
    finally:
        if setup.worker is not None:
            setup.worker.stop()
        setup.receiver.stop()


def settle(sink, expected: int, quiet: float = 4.0) -> list:
    """Wait for `expected` replies, then make sure no further one arrives for a while."""
    replies = sink.wait_for(expected, timeout=30)
    time.sleep(quiet)
    assert len(sink.messages) == expected, [m.message["Subject"] for m in sink.messages]
    return replies


class TestRedisPostgres:
    def test_question_is_answered(self, production, smtp_sink):
        production.start_worker()
        production.send(question_email("What is ICD-10-CM code K76.0?", message_id="<pg@example.org>"))
        [reply] = settle(smtp_sink, 1, quiet=1)
        assert reply.message["In-Reply-To"] == "<pg@example.org>"
        assert "Fatty (change of) liver, not elsewhere classified" in reply.message.get_body(("plain",)).get_content()
        assert production.query("select status from outbound_email") == [("sent",)]

    def test_duplicate_delivery_makes_one_consultation_and_one_reply(self, production, smtp_sink):
        production.start_worker()
        raw = question_email("What is E11.9?", message_id="<twice@example.org>")
        production.send(raw)
        production.send(raw)
        production.send(raw.replace(b"What is E11.9?", b"What is E11.9? (resent)"))
        settle(smtp_sink, 1)
        assert production.query("select count(*) from consultation") == [(1,)]
        assert sorted(production.query("select status from inbound_email")) == [("duplicate",), ("processed",)]

    def test_worker_killed_mid_pipeline_answers_exactly_once_after_restart(self, production, smtp_sink):
        production.start_worker()
        smtp_sink.hold()
        production.send(question_email("What is K76.0?", message_id="<killed@example.org>"))
        wait_until(lambda: smtp_sink.pending == 1, timeout=15, message="the worker never reached the relay")
        production.worker.kill()
        smtp_sink.release()
        assert production.query("select status from outbound_email") == [("sending",)]
        production.start_worker()
        [reply] = settle(smtp_sink, 1)
        assert reply.message["In-Reply-To"] == "<killed@example.org>"
        assert production.query("select status, attempts from outbound_email") == [("sent", 2)]

    def test_message_lost_by_the_broker_is_answered_by_the_sweeper(self, production, smtp_sink, redis_server):
        production.send(question_email("What is K76.0?", message_id="<lost@example.org>"))
        with redis.Redis.from_url(production.env["CONSULTANT_BROKER_URL"]) as client:
            assert client.llen("consultant") == 1
            client.flushall()
        production.start_worker()
        [reply] = settle(smtp_sink, 1)
        assert reply.message["In-Reply-To"] == "<lost@example.org>"


class TestReceiver:
    def test_foreign_recipient_is_refused_and_nothing_stored(self, production):
        with smtplib.SMTP(HOST, production.port, timeout=10) as smtp:
            smtp.ehlo()
            smtp.mail("coder@example.org")
            code, _ = smtp.rcpt("victim@elsewhere.example")
            assert code == 550
            code, _ = smtp.rcpt("ASK@consultant.localhost")
            assert code == 250
        assert production.query("select count(*) from inbound_email") == [(0,)]

    def test_message_is_committed_before_250(self, production):
        production.send(question_email(message_id="<durable@example.org>"))
        rows = production.query("select message_id, status, channel from inbound_email")
        assert rows == [("<durable@example.org>", "received", "smtp")]

    def test_database_gone_answers_451_and_stores_nothing(self, production, postgres_server):
        postgres_server.kill()
        try:
            with pytest.raises(smtplib.SMTPDataError) as refused:
                production.send(question_email(message_id="<nodb@example.org>"))
            assert refused.value.smtp_code == 451
        finally:
            postgres_server.restart()
        assert production.query("select count(*) from inbound_email") == [(0,)]
        production.send(question_email(message_id="<back@example.org>"))
        assert production.query("select message_id from inbound_email") == [("<back@example.org>",)]


class TestOversize:
    def test_oversize_message_is_refused_with_552(self, tmp_path, pg_url, redis_url):
        port = free_port()
        env = product_env(tmp_path / "var", database_url=pg_url, broker_url=redis_url,
                          smtp_listen=f"{HOST}:{port}", max_message_bytes="20000")
        run_command(consultant_argv("db", "upgrade"), env)
        with Process("smtpd", consultant_argv("smtpd"), env, tmp_path) as receiver:
            receiver.wait_for_port(port)
            big = question_email("What is K76.0?\n" + "x" * 76 + "\n") + (b"y" * 76 + b"\r\n") * 400
            with smtplib.SMTP(HOST, port, timeout=10) as smtp:
                with pytest.raises(smtplib.SMTPException) as refused:
                    smtp.sendmail("coder@example.org", ["ask@consultant.localhost"], big)
            assert getattr(refused.value, "smtp_code", None) == 552
