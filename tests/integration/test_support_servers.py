"""Self-tests for tests/support/servers.py: every server is started for real."""

from __future__ import annotations

import smtplib
import socket
import threading
import time
from email.message import EmailMessage
from pathlib import Path

import psycopg
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from tests.support.servers import (
    PostgresServer,
    RedisServer,
    SmtpSink,
    free_port,
    wait_until,
)

from tests.support import fixtures as support_fixtures

# Exercise the support fixtures themselves, whether or not tests/conftest.py exists
# (module-level definitions win over conftest ones; the session-scoped servers are then
# started once more for this module, which costs about a second).
redis_server = support_fixtures.redis_server
redis_url = support_fixtures.redis_url
postgres_server = support_fixtures.postgres_server
pg_url = support_fixtures.pg_url
smtp_sink = support_fixtures.smtp_sink


def make_message(subject: str, body: str = "Hello.\n") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "coder@example.org"
    msg["To"] = "consult@example.net"
    msg["Subject"] = subject
    msg.set_content(body)
    return msg


def send(sink: SmtpSink, subject: str) -> None:
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
        client.send_message(make_message(subject))


# --------------------------------------------------------------------------- helpers


def test_free_port_is_bindable() -> None:
    port = free_port()
    assert 1024 <= port <= 65535
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_wait_until_returns_value_and_times_out() -> None:
    calls: list[int] = []

    def third_time() -> int:
        calls.append(1)
        return len(calls) if len(calls) >= 3 else 0

    assert wait_until(third_time, timeout=2, interval=0.01) == 3
    with pytest.raises(AssertionError, match="never true"):
        wait_until(lambda: False, timeout=0.1, interval=0.01, message=lambda: "never true")


# --------------------------------------------------------------------------- Redis


def test_redis_set_get_and_flush(redis_server: RedisServer, redis_url: str) -> None:
    assert redis_url == f"redis://127.0.0.1:{redis_server.port}/0"
    with redis.Redis.from_url(redis_url) as client:
        assert client.dbsize() == 0
        client.set("greeting", "hello")
        assert client.get("greeting") == b"hello"
        redis_server.flushall()
        assert client.get("greeting") is None


def test_redis_stop_makes_it_unreachable(tmp_path: Path) -> None:
    with RedisServer(tmp_path) as server:
        with server.client() as client:
            assert client.ping()
    assert (tmp_path / "redis.log").stat().st_size > 0
    no_retry = Retry(NoBackoff(), 0)
    with redis.Redis("127.0.0.1", server.port, socket_connect_timeout=1, retry=no_retry) as client:
        with pytest.raises(redis.exceptions.ConnectionError):
            client.ping()


# --------------------------------------------------------------------------- PostgreSQL


def scalar(url: str, query: str) -> object:
    engine = sa.create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(query)).scalar_one()
    finally:
        engine.dispose()


def test_pg_url_is_a_fresh_database(postgres_server: PostgresServer, pg_url: str) -> None:
    prefix = f"postgresql+psycopg://postgres@127.0.0.1:{postgres_server.port}/"
    assert pg_url.startswith(prefix)
    assert scalar(pg_url, "SELECT 1") == 1
    assert scalar(pg_url, "SELECT current_database()") == pg_url.removeprefix(prefix)
    assert scalar(pg_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == 0


def test_create_and_drop_named_database(postgres_server: PostgresServer) -> None:
    url = postgres_server.create_database("Named-DB")
    assert url.endswith("/Named-DB")
    assert scalar(url, "SELECT current_database()") == "Named-DB"
    postgres_server.drop_database("Named-DB")
    with pytest.raises(sa.exc.OperationalError, match="does not exist"):
        scalar(url, "SELECT 1")
    postgres_server.drop_database("Named-DB")  # dropping again is fine


def test_postgres_kill_and_restart(postgres_server: PostgresServer, pg_url: str) -> None:
    port = postgres_server.port
    assert scalar(pg_url, "SELECT 1") == 1
    # an open connection is cut off by kill()
    held = psycopg.connect(postgres_server.conninfo())
    try:
        postgres_server.kill()
        assert not postgres_server.running
        with pytest.raises(psycopg.OperationalError):
            held.execute("SELECT 1")
    finally:
        held.close()
    with pytest.raises(sa.exc.OperationalError):
        scalar(pg_url, "SELECT 1")

    postgres_server.restart()
    assert postgres_server.running and postgres_server.port == port
    assert scalar(pg_url, "SELECT 1") == 1


def test_postgres_stop_and_restart_keeps_data(postgres_server: PostgresServer, pg_url: str) -> None:
    engine = sa.create_engine(pg_url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE t (x int); INSERT INTO t VALUES (42)"))
        postgres_server.stop()
        with pytest.raises(sa.exc.OperationalError):
            engine.connect().close()
        postgres_server.restart()
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT x FROM t")).scalar_one() == 42
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- SMTP


def test_smtp_sink_records_messages(smtp_sink: SmtpSink) -> None:
    assert smtp_sink.url == f"smtp://127.0.0.1:{smtp_sink.port}"
    before = time.monotonic()
    send(smtp_sink, "First")
    [received] = smtp_sink.wait_for(1)
    assert before <= received.arrived <= time.monotonic()
    assert received.mail_from == "coder@example.org"
    assert received.rcpt_tos == ["consult@example.net"]
    assert b"Subject: First" in received.raw
    assert received.message["Subject"] == "First"
    assert received.message.get_content().splitlines() == ["Hello."]

    smtp_sink.clear()
    assert smtp_sink.messages == []
    with pytest.raises(AssertionError, match="expected 1 message"):
        smtp_sink.wait_for(1, timeout=0.2)


def test_smtp_sink_hold_and_release(smtp_sink: SmtpSink) -> None:
    smtp_sink.hold()
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            send(smtp_sink, "Held")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=sender)
    thread.start()
    try:
        wait_until(lambda: smtp_sink.pending == 1, timeout=5, message="DATA never reached")
        time.sleep(0.2)
        assert smtp_sink.messages == []
        assert thread.is_alive()  # the client is still waiting for its reply
        # the event loop is not blocked: another session can talk meanwhile
        with smtplib.SMTP("127.0.0.1", smtp_sink.port, timeout=5) as other:
            assert other.noop()[0] == 250
    finally:
        smtp_sink.release()
        thread.join(10)
    assert not errors
    [received] = smtp_sink.wait_for(1)
    assert received.message["Subject"] == "Held"
    assert smtp_sink.pending == 0


def test_smtp_sink_drops_held_message_when_client_disconnects(smtp_sink: SmtpSink) -> None:
    smtp_sink.hold()
    client = smtplib.SMTP("127.0.0.1", smtp_sink.port, timeout=5)
    try:
        client.ehlo()
        assert client.mail("coder@example.org")[0] == 250
        assert client.rcpt("consult@example.net")[0] == 250
        assert client.docmd("DATA")[0] == 354
        client.send(make_message("Abandoned").as_bytes().replace(b"\n", b"\r\n") + b".\r\n")
        wait_until(lambda: smtp_sink.pending == 1, timeout=5, message="DATA never reached")
    finally:
        client.close()  # no reply read, no QUIT
    wait_until(lambda: smtp_sink.pending == 0, timeout=5, message="held DATA not abandoned")
    smtp_sink.release()
    send(smtp_sink, "Later")
    time.sleep(0.1)
    assert [m.message["Subject"] for m in smtp_sink.wait_for(1)] == ["Later"]


def test_smtp_sink_reject_next(smtp_sink: SmtpSink) -> None:
    smtp_sink.reject_next(2)
    with smtplib.SMTP("127.0.0.1", smtp_sink.port, timeout=5) as client:
        for _ in range(2):
            with pytest.raises(smtplib.SMTPDataError) as excinfo:
                client.send_message(make_message("Rejected"))
            assert excinfo.value.smtp_code == 451
            assert b"Try again later" in excinfo.value.smtp_error
        assert smtp_sink.messages == []
        client.send_message(make_message("Accepted"))
    assert [m.message["Subject"] for m in smtp_sink.wait_for(1)] == ["Accepted"]

    smtp_sink.reject_next(1, code="554 5.7.1 Go away")
    with smtplib.SMTP("127.0.0.1", smtp_sink.port, timeout=5) as client:
        with pytest.raises(smtplib.SMTPDataError) as excinfo:
            client.send_message(make_message("Refused"))
    assert excinfo.value.smtp_code == 554
    assert len(smtp_sink.messages) == 1
