"""Two instances of the service facing each other: each takes the other's replies for questions.
They must stop after one exchange: by Auto-Submitted when it arrives intact, and by the daily cap of
automatic replies when a relay in between strips it."""

from __future__ import annotations

import smtplib
import sqlite3
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.support.product import WORKER_READY, Process, consultant_argv, free_port, product_env
from tests.support.servers import HOST, wait_until


class StrippingRelay:
    """A relay that drops the automatic-mail headers from every message it passes on, as some forwarders do."""

    DROPPED = (b"auto-submitted:", b"x-auto-response-suppress:", b"precedence:")

    def __init__(self, target_port: int) -> None:
        self.port = free_port()
        self.target_port = target_port
        self.passed = 0
        self._controller = Controller(self, hostname=HOST, port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:
        lines = envelope.original_content.split(b"\r\n")
        kept = b"\r\n".join(line for line in lines if not line.lower().startswith(self.DROPPED))
        with smtplib.SMTP(HOST, self.target_port, timeout=10) as smtp:
            smtp.sendmail(envelope.mail_from, envelope.rcpt_tos, kept)
        self.passed += 1
        return "250 OK"

    def __enter__(self) -> StrippingRelay:
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()


class Instance:
    def __init__(self, name: str, tmp_path: Path) -> None:
        self.name = name
        self.address = f"ask@{name}.test"
        self.port = free_port()
        self.data = tmp_path / name

    def env(self, relay_port: int, cap: int) -> dict[str, str]:
        return product_env(self.data, smtp_listen=f"{HOST}:{self.port}", address=self.address,
                           relay=f"smtp://{HOST}:{relay_port}", auto_reply_cap_per_day=str(cap), workers="1")

    def rows(self, sql: str) -> list[tuple]:
        with sqlite3.connect(self.data / "consultant.sqlite3") as db:
            return db.execute(sql).fetchall()

    def inbound(self) -> list[tuple[str, str]]:
        return self.rows("SELECT status, status_reason FROM inbound_email ORDER BY id")

    def replies(self) -> int:
        return self.rows("SELECT count(*) FROM outbound_email")[0][0]


def run_pair(tmp_path: Path, strip: bool, cap: int):
    a, b = Instance("a", tmp_path), Instance("b", tmp_path)
    relays = [StrippingRelay(b.port), StrippingRelay(a.port)] if strip else []
    for relay in relays:
        relay.__enter__()
    to_b, to_a = (relays[0].port, relays[1].port) if strip else (b.port, a.port)
    try:
        with Process("a", consultant_argv("run"), a.env(to_b, cap), tmp_path) as run_a, \
                Process("b", consultant_argv("run"), b.env(to_a, cap), tmp_path) as run_b:
            for run, instance in ((run_a, a), (run_b, b)):
                run.wait_for_port(instance.port, timeout=90)
                run.wait_for_log(WORKER_READY, timeout=90)
            yield a, b
    finally:
        for relay in relays:
            relay.__exit__()


def ask_a_as_b(a: Instance, b: Instance) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = b.address, a.address, "What is K76.0?"
    message["Message-ID"] = "<start@b.test>"
    message.set_content("What is ICD-10-CM code K76.0?")
    with smtplib.SMTP(HOST, a.port, timeout=10) as smtp:
        smtp.send_message(message)


def final(instance: Instance, count: int) -> bool:
    rows = instance.inbound()
    return len(rows) >= count and all(status != "received" for status, _ in rows)


class TestTwoInstances:
    @pytest.fixture
    def intact(self, tmp_path):
        yield from run_pair(tmp_path, strip=False, cap=30)

    @pytest.fixture
    def stripped(self, tmp_path):
        yield from run_pair(tmp_path, strip=True, cap=1)

    def test_auto_submitted_stops_the_exchange_after_one_reply(self, intact):
        a, b = intact
        ask_a_as_b(a, b)
        # the wait bounds a failure, not speed: two whole services share two cores here
        wait_until(lambda: final(b, 1), timeout=150,
                   message=lambda: f"a: {a.inbound()} / {a.replies()}; b: {b.inbound()} / {b.replies()}")
        assert a.replies() == 1
        assert b.replies() == 0
        [(status, reason)] = b.inbound()
        assert status == "machine" and reason.startswith("auto-reply (Auto-Submitted: auto-replied")

    def test_the_daily_cap_stops_it_when_a_relay_strips_auto_submitted(self, stripped):
        a, b = stripped
        ask_a_as_b(a, b)
        wait_until(lambda: final(a, 2), timeout=150,
                   message=lambda: f"a: {a.inbound()} / {a.replies()}; b: {b.inbound()} / {b.replies()}")
        assert a.inbound()[1] == ("processed", "review: no reply (automatic reply cap reached)")
        assert a.replies() == 1
        assert b.replies() == 1
        assert [status for status, _ in b.inbound()] == ["processed"]
