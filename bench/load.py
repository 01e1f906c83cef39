"""Load driver and measurement, shared by the floor and the product.

A `Sink` (aiosmtpd on loopback) records when each reply arrives, keyed by its
In-Reply-To header.  `burst` measures throughput, `steady` measures latency from
the 250 that accepted a question to the arrival of its reply.
"""

from __future__ import annotations

import email.policy
import itertools
import math
import smtplib
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import formatdate

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from bench.proc import LOCALHOST, free_port

RUN = uuid.uuid4().hex[:8]
# Billable ICD-10-CM codes (all leaves in simple_icd_10_cm 1.5.0).
CODES = ("K76.0", "E11.9", "I10", "J45.909", "M54.50",
         "R51.9", "N39.0", "F41.1", "K21.9", "E78.5")
HELO = "bench.localhost"  # never let smtplib/aiosmtpd call socket.getfqdn()

Target = tuple[str, int]


def message_id(i: int, run: str = RUN) -> str:
    return f"<bench-{run}-{i}@bench.example>"


def sender(i: int) -> str:
    return f"coder{i}@bench.example"


def make_question(i: int, to: str = "ask@consultant.localhost", run: str = RUN) -> bytes:
    """An auto-answerable question about one real billable code, CRLF-terminated."""
    msg = EmailMessage()
    msg["From"] = sender(i)
    msg["To"] = to
    msg["Subject"] = f"Code question {i}"
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id(i, run)
    msg.set_content(f"Hello,\n\nWhat is ICD-10-CM code {CODES[i % len(CODES)]}?\n\n"
                    f"Thanks,\ncoder{i}\n")
    return msg.as_bytes(policy=email.policy.SMTP)


# --------------------------------------------------------------------------- sink
class Sink:
    """Loopback SMTP server recording reply arrival times by In-Reply-To."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.arrivals: dict[str, float] = {}
        self.duplicates = 0
        self.unmatched = 0
        self._cond = threading.Condition()
        self._parser = BytesHeaderParser(policy=email.policy.default)
        self._controller = Controller(self, hostname=LOCALHOST, port=self.port,
                                      server_hostname=HELO)

    @property
    def url(self) -> str:
        return f"smtp://{LOCALHOST}:{self.port}"

    def __enter__(self) -> Sink:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        now = time.perf_counter()
        raw = envelope.content if isinstance(envelope.content, bytes) else b""
        key = str(self._parser.parsebytes(raw).get("In-Reply-To", "")).strip()
        with self._cond:
            if not key:
                self.unmatched += 1
            elif key in self.arrivals:
                self.duplicates += 1
            else:
                self.arrivals[key] = now
                self._cond.notify_all()
        return "250 OK"

    def wait(self, keys: Sequence[str], timeout: float) -> set[str]:
        """Wait until every key has a reply or the timeout passes; return the missing."""
        deadline = time.perf_counter() + timeout
        pending = set(keys)
        with self._cond:
            while True:
                pending = {k for k in pending if k not in self.arrivals}
                left = deadline - time.perf_counter()
                if not pending or left <= 0:
                    return pending
                self._cond.wait(min(left, 0.5))


# --------------------------------------------------------------------------- sending
@dataclass
class Sent:
    """Per message: when we started sending and when its 250 came back (NaN: failed)."""

    start: list[float]
    accepted: list[float]
    errors: list[str] = field(default_factory=list)


def _send_share(target: Target, msgs: Sequence[bytes], to: str, mine: Sequence[int],
                sent: Sent, schedule: Sequence[float] | None, stop: threading.Event) -> None:
    """One thread: one reused connection, `sendmail` per message (reconnects on error)."""
    conn: smtplib.SMTP | None = None
    try:
        for i in mine:
            if stop.is_set():
                return
            if schedule is not None and (delay := schedule[i] - time.perf_counter()) > 0:
                time.sleep(delay)
            try:
                if conn is None:
                    conn = smtplib.SMTP(*target, local_hostname=HELO, timeout=30)
                sent.start[i] = time.perf_counter()
                conn.sendmail(sender(i), [to], msgs[i])
                sent.accepted[i] = time.perf_counter()
            except (smtplib.SMTPException, OSError) as e:
                sent.errors.append(f"{i}: {e!r}")
                if conn is not None:
                    conn.close()
                conn = None
    finally:
        if conn is not None:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()


def send_all(target: Target, msgs: Sequence[bytes], to: str, threads: int,
             schedule: Sequence[float] | None = None) -> Sent:
    """Send `msgs` from `threads` threads, message i going to thread i % threads."""
    n = len(msgs)
    sent = Sent([math.nan] * n, [math.nan] * n)
    stop = threading.Event()
    workers = [threading.Thread(target=_send_share, daemon=True,
                                args=(target, msgs, to, range(t, n, threads), sent, schedule, stop))
               for t in range(threads)]
    try:
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    finally:
        stop.set()
    return sent


# --------------------------------------------------------------------------- results
def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass
class BurstResult:
    n: int
    received: int
    missing: int
    send_errors: int
    seconds: float      # first send -> last reply
    throughput: float   # received / seconds, msg/s


@dataclass
class SteadyResult:
    n: int
    received: int
    missing: int
    send_errors: int
    p50: float  # seconds, 250 -> reply arrival
    p99: float
    max: float


_runs = itertools.count()


def _run_id(label: str) -> str:
    return f"{RUN}-{label}-{next(_runs)}"


def burst(sink: Sink, target: Target, n: int = 1000, senders: int = 8,
          to: str = "ask@consultant.localhost", timeout: float = 300.0) -> BurstResult:
    """Send n questions as fast as possible; throughput = n / (last reply - first send)."""
    run = _run_id("burst")
    msgs = [make_question(i, to, run) for i in range(n)]
    keys = [message_id(i, run) for i in range(n)]
    sent = send_all(target, msgs, to, senders)
    ok = [k for k, a in zip(keys, sent.accepted) if not math.isnan(a)]
    missing = sink.wait(ok, timeout)
    got = [sink.arrivals[k] for k in ok if k not in missing]
    first = min((s for s in sent.start if not math.isnan(s)), default=math.nan)
    seconds = (max(got) - first) if got else math.nan
    return BurstResult(n, len(got), n - len(got), len(sent.errors), seconds,
                       len(got) / seconds if got else 0.0)


def steady(sink: Sink, target: Target, rate: float = 20.0, seconds: float = 30.0,
           connections: int = 2, to: str = "ask@consultant.localhost",
           timeout: float = 60.0) -> SteadyResult:
    """Send at a steady `rate`/s for `seconds`; latency = reply arrival - its 250."""
    run = _run_id("steady")
    n = max(1, round(rate * seconds))
    msgs = [make_question(i, to, run) for i in range(n)]
    keys = [message_id(i, run) for i in range(n)]
    t0 = time.perf_counter() + 0.2
    sent = send_all(target, msgs, to, connections, [t0 + i / rate for i in range(n)])
    ok = [(k, a) for k, a in zip(keys, sent.accepted) if not math.isnan(a)]
    missing = sink.wait([k for k, _ in ok], timeout)
    lat = [sink.arrivals[k] - a for k, a in ok if k not in missing]
    return SteadyResult(n, len(lat), n - len(lat), len(sent.errors),
                        percentile(lat, 50), percentile(lat, 99), max(lat, default=math.nan))


def warm_up(sink: Sink, target: Target, to: str = "ask@consultant.localhost",
            n: int = 8, timeout: float = 120.0) -> None:
    """Push a few questions through end to end (loads code tables, opens connections)."""
    run = _run_id("warm")
    sent = send_all(target, [make_question(i, to, run) for i in range(n)], to, 2)
    missing = sink.wait([message_id(i, run) for i in range(n)], timeout)
    if missing or sent.errors:
        raise RuntimeError(f"warm-up failed: {len(missing)} replies missing, "
                           f"send errors: {sent.errors[:3]}")
