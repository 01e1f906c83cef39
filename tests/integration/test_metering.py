"""Metering against real servers: registration round trip through `consultant run` and an SMTP sink,
and the quota held by the database when two workers take one sender's burst on PostgreSQL."""

from __future__ import annotations

import smtplib
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from consultant.db.migrate import upgrade
from consultant.db.models import InboundEmail, OutboundEmail, UsageEvent
from consultant.db.session import session_scope
from consultant.mail.inbound import Envelope, store_raw
from consultant.shipped import shipped
from tests.builders import question_email
from tests.support.product import WORKER_READY, Process, consultant_argv, free_port, product_env
from tests.support.servers import HOST

PLANS = str(shipped("config") / "plans.toml")


def send(port: int, raw: bytes) -> None:
    with smtplib.SMTP(HOST, port, timeout=10) as smtp:
        smtp.sendmail("guest@example.org", ["ask@consultant.localhost"], raw)


class TestRegistrationRoundTrip:
    def test_over_quota_register_confirm_by_reply_then_the_held_question_is_answered(self, tmp_path, smtp_sink):
        port = free_port()
        env = product_env(tmp_path / "var", smtp_listen=f"{HOST}:{port}", relay=smtp_sink.url, plans=PLANS)
        with Process("run", consultant_argv("run"), env, tmp_path) as run:
            run.wait_for_port(port, timeout=90)
            run.wait_for_log(WORKER_READY, timeout=90)
            send(port, question_email("What is K76.0?", sender="guest@example.org", message_id="<one@example.org>"))
            [answer] = smtp_sink.wait_for(1, timeout=20)
            assert "Consultations left on your plan (guest): 0 of 1." in answer.message.get_body(("plain",)).get_content()
            send(port, question_email("What is E11.9?", sender="guest@example.org", subject="Second",
                                      message_id="<two@example.org>"))
            over_quota = smtp_sink.wait_for(2, timeout=20)[1].message
            words = " ".join(over_quota.get_body(("plain",)).get_content().split())
            assert "reply to this message with the single word REGISTER" in words
            send(port, question_email("REGISTER", sender="guest@example.org", subject=f"Re: {over_quota['Subject']}",
                                      in_reply_to=over_quota["Message-ID"]))
            token_mail = smtp_sink.wait_for(3, timeout=20)[2].message
            token = token_mail["Subject"].split()[-1]
            assert token.startswith("REG-") and token_mail["To"] == "guest@example.org"
            send(port, question_email("> quoted text of the token mail", sender="guest@example.org",
                                      subject=f"Re: {token_mail['Subject']}", in_reply_to=token_mail["Message-ID"]))
            replies = smtp_sink.wait_for(5, timeout=30)
        by_parent = {m.message["In-Reply-To"]: m.message for m in replies[3:]}
        held_answer = by_parent.pop("<two@example.org>").get_body(("plain",)).get_content()
        [confirmed] = by_parent.values()
        assert "Your registration is confirmed" in confirmed.get_body(("plain",)).get_content()
        assert "E11.9" in held_answer and "Consultations left on your plan (registered): 4 of 6." in held_answer


@pytest.fixture
def metered_pg(configure, pg_url):
    settings = configure(database_url=pg_url, plans=PLANS)
    upgrade(pg_url)
    return settings


class TestConcurrentBurst:
    def test_two_workers_on_one_senders_burst_never_grant_more_than_the_quota(self, metered_pg):
        from consultant.consult.pipeline import run_inbound
        from consultant.usage.senders import set_plan
        from consultant.usage.ledger import sender_for
        from consultant.usage.plans import load_plans

        with session_scope() as session:
            sender_for(session, "burst@example.org")
            set_plan(session, "burst@example.org", "registered", load_plans(metered_pg.plans))
        with session_scope() as session:
            ids = [store_raw(session, question_email(f"What is E11.{n}? ({n})", sender="burst@example.org",
                                                     subject=f"Burst {n}"),
                             Envelope("burst@example.org", ("ask@consultant.localhost",))).inbound_id
                   for n in range(24)]
        with ThreadPoolExecutor(max_workers=2) as workers:
            statuses = list(workers.map(lambda inbound_id: run_inbound(metered_pg, inbound_id).status, ids))
        assert sorted(statuses).count("processed") == 6 and statuses.count("held") == 18
        with session_scope() as session:
            charged = session.scalar(select(func.count()).select_from(UsageEvent)
                                     .where(UsageEvent.kind == "consultation"))
            notices = session.scalar(select(func.count()).select_from(OutboundEmail)
                                     .where(OutboundEmail.kind == "over_quota"))
            held = session.scalar(select(func.count()).select_from(InboundEmail).where(InboundEmail.status == "held"))
        assert (charged, notices, held) == (6, 1, 18)
