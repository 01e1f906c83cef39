"""The floor: the least a pipeline must do, on the same Redis and Celery as the product.

SMTP in (aiosmtpd) -> Celery task on Redis (JSON, raw message as a string) ->
parse, find ICD-10-CM codes, look up descriptors, render, send the reply over SMTP.
No database, no durability beyond Redis, no retries.

    python -m bench.floor --listen 127.0.0.1:PORT           # the receiver
    python -m celery -A bench.floor worker -Q floor ...      # the worker
Environment: FLOOR_BROKER_URL (redis://...), FLOOR_SINK (smtp://host:port).
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import re
import signal
import smtplib
import sys
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from celery import Celery
from celery.signals import worker_process_init, worker_process_shutdown
from jinja2 import DictLoader, Environment, Template

from bench.proc import LOCALHOST, Handle, celery_ping, port_open, wait_until

QUEUE = "floor"
HELO = "floor.localhost"
CODE_RE = re.compile(r"\b[A-TV-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?\b", re.IGNORECASE)
REPLY = """\
Hello,

{% if codes %}
You asked about the following ICD-10-CM code{{ "s" if codes|length > 1 }}:

{% for code, text in codes %}
  {{ code }}  {{ text }}
{% endfor %}
{% else %}
We found no valid ICD-10-CM code in your question.
{% endif %}

-- 
Consultant (floor)
"""

app = Celery("floor", broker=os.environ.get("FLOOR_BROKER_URL", "redis://127.0.0.1:6379/0"))
app.conf.update(
    task_serializer="json", accept_content=["json"], result_serializer="json",
    task_ignore_result=True, task_acks_late=True, worker_prefetch_multiplier=1,
    task_default_queue=QUEUE, broker_connection_retry_on_startup=True,
)


# --------------------------------------------------------------------------- worker
@cache
def descriptors() -> dict[str, str]:
    """Every ICD-10-CM code -> descriptor; built once per worker process."""
    import simple_icd_10_cm as cm

    return {c: cm.get_description(c) for c in cm.get_all_codes(True) if CODE_RE.fullmatch(c)}


@cache
def template() -> Template:
    env = Environment(loader=DictLoader({"reply.txt": REPLY}), autoescape=False,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    return env.get_template("reply.txt")


_smtp: smtplib.SMTP | None = None


def _send(sender: str, to: str, raw: bytes) -> None:
    """Send over this process's reused connection; reconnect once if it dropped."""
    global _smtp
    sink = urlsplit(os.environ["FLOOR_SINK"])
    for attempt in (1, 2):
        try:
            if _smtp is None:
                _smtp = smtplib.SMTP(sink.hostname or LOCALHOST, sink.port or 25,
                                     local_hostname=HELO, timeout=30)
            _smtp.sendmail(sender, [to], raw)
            return
        except (smtplib.SMTPServerDisconnected, OSError):
            _smtp = None
            if attempt == 2:
                raise


@worker_process_init.connect
def _init_process(**_: Any) -> None:
    descriptors(), template()


@worker_process_shutdown.connect
def _close_smtp(**_: Any) -> None:
    if _smtp is not None:
        try:
            _smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass


@app.task(name="floor.answer", acks_late=True)
def answer(raw: str) -> None:
    question = email.message_from_bytes(raw.encode("latin-1"), policy=email.policy.default)
    body = question.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    table = descriptors()
    found = dict.fromkeys(c.upper() for c in CODE_RE.findall(text))
    codes = [(c, table[c]) for c in found if c in table]

    reply = EmailMessage()
    reply["From"] = str(question["To"])
    reply["To"] = str(question["Reply-To"] or question["From"])
    reply["Subject"] = f"Re: {question['Subject'] or ''}"
    reply["Date"] = formatdate(localtime=False)
    reply["Message-ID"] = make_msgid(domain=HELO)
    if (mid := question["Message-ID"]) is not None:
        reply["In-Reply-To"] = str(mid)
        reply["References"] = f"{question['References'] or ''} {mid}".strip()
    reply.set_content(template().render(codes=codes))
    _send(reply["From"].addresses[0].addr_spec, reply["To"].addresses[0].addr_spec,
          reply.as_bytes(policy=email.policy.SMTP))


# --------------------------------------------------------------------------- receiver
class Receiver:
    """aiosmtpd handler: enqueue the raw message, then say 250."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer.apply_async(args=[bytes(envelope.content).decode("latin-1")], queue=QUEUE)
        return "250 Message accepted for delivery"


def receive(host: str, port: int) -> None:
    from aiosmtpd.controller import Controller

    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    controller = Controller(Receiver(), hostname=host, port=port, server_hostname=HELO)
    controller.start()
    try:
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        controller.stop()


# --------------------------------------------------------------------------- control
def start_floor(redis_url: str, sink_url: str, port: int, logdir: Path) -> Handle:
    """Start receiver and worker as subprocesses; return once both are ready."""
    env = {**os.environ, "FLOOR_BROKER_URL": redis_url, "FLOOR_SINK": sink_url,
           "PYTHONPATH": _pythonpath()}
    handle = Handle(target=(LOCALHOST, port))
    try:
        worker = handle.spawn(
            [sys.executable, "-m", "celery", "-A", "bench.floor", "worker",
             "--concurrency", "2", "--pool", "prefork", "--without-gossip",
             "--without-mingle", "--without-heartbeat", "-Q", QUEUE,
             "-n", "floor@%h", "--loglevel", "WARNING"],
            logdir / "floor-worker.log", env)
        receiver = handle.spawn([sys.executable, "-m", "bench.floor", "--listen",
                                 f"{LOCALHOST}:{port}"], logdir / "floor-receiver.log", env)
        wait_until(lambda: port_open(port), 30, "floor receiver", [receiver])
        wait_until(lambda: celery_ping(redis_url), 60, "floor worker", [worker])
        return handle
    except BaseException:
        print(handle.tail_logs(), file=sys.stderr)
        handle.stop()
        raise


def _pythonpath() -> str:
    root = str(Path(__file__).resolve().parent.parent)
    return os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="floor SMTP receiver")
    parser.add_argument("--listen", default=f"{LOCALHOST}:8025", help="host:port")
    host, _, port = parser.parse_args().listen.rpartition(":")
    receive(host, int(port))
