"""End to end: the floor and the product under the same load, side by side.

    python -m bench.e2e [--burst 1000] [--rate 20] [--seconds 30] [--skip-product]
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import redis

from bench.floor import start_floor
from bench.load import BurstResult, Sink, SteadyResult, burst, steady, warm_up
from bench.proc import LOCALHOST, Handle, celery_ping, free_port, port_open, run, wait_until

ROOT = Path(__file__).resolve().parent.parent
ADDRESS = "ask@consultant.localhost"


@dataclass
class Result:
    burst: BurstResult
    steady: SteadyResult


def start_redis(workdir: Path) -> tuple[Handle, str]:
    """A private, non-persistent redis-server on a free loopback port."""
    port, handle = free_port(), Handle()
    proc = handle.spawn(["redis-server", "--bind", LOCALHOST, "--port", str(port),
                         "--dir", str(workdir), "--save", "", "--appendonly", "no"],
                        workdir / "redis.log")
    url = f"redis://{LOCALHOST}:{port}/0"
    try:
        wait_until(lambda: _redis_ok(url), 15, "redis-server", [proc])
    except BaseException:
        handle.stop()
        raise
    return handle, url


def _redis_ok(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url).ping())
    except redis.RedisError:
        return False


def start_product(redis_url: str, sink_url: str, workdir: Path, concurrency: int = 2) -> Handle:
    """PostgreSQL + `consultant smtpd` + the Celery worker, all ready; stop() ends all."""
    handle = Handle()
    try:
        pgdir = Path(tempfile.mkdtemp(prefix="bench-pg-"))
        handle.dirs.append(pgdir)
        shutil.chown(pgdir, "postgres", "postgres")
        pg = ["runuser", "-u", "postgres", "--"]
        run([*pg, "initdb", "-D", str(pgdir / "data"), "-U", "postgres",
             "--auth=trust", "-E", "UTF8", "--no-sync"], timeout=120)
        pg_port = free_port()
        postgres = handle.spawn([*pg, "postgres", "-D", str(pgdir / "data"), "-p", str(pg_port),
                                 "-k", str(pgdir), "-c", "listen_addresses=127.0.0.1"],
                                workdir / "postgres.log")
        wait_until(lambda: port_open(pg_port), 60, "postgres", [postgres])
        run(["createdb", "-h", LOCALHOST, "-p", str(pg_port), "-U", "postgres", "bench"])

        smtp_port = free_port()
        handle.target = (LOCALHOST, smtp_port)
        env = {**os.environ, "PYTHONPATH": str(ROOT),
               "CONSULTANT_DATABASE_URL": f"postgresql+psycopg://postgres@{LOCALHOST}:{pg_port}/bench",
               "CONSULTANT_BROKER_URL": redis_url,
               "CONSULTANT_SMTP_LISTEN": f"{LOCALHOST}:{smtp_port}",
               "CONSULTANT_RELAY": sink_url,
               "CONSULTANT_ADDRESS": ADDRESS,
               "CONSULTANT_DATA_DIR": str(workdir),
               # the pipeline's cost, not the guards': no quota, rate limit or reply cap in the way
               "CONSULTANT_PLANS": str(Path(__file__).with_name("plans.toml")),
               "CONSULTANT_SENDER_MESSAGES_PER_HOUR": "1000000",
               "CONSULTANT_AUTO_REPLY_CAP_PER_DAY": "1000000"}
        consultant = _consultant_cmd()
        run([*consultant, "db", "upgrade"], env, cwd=ROOT)
        run([*consultant, "codes", "load"], env, cwd=ROOT, timeout=900)
        smtpd = handle.spawn([*consultant, "smtpd"], workdir / "product-smtpd.log", env, ROOT)
        worker = handle.spawn(
            [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker",
             "--concurrency", str(concurrency), "--pool", "prefork", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "--loglevel", "WARNING"],
            workdir / "product-worker.log", env, ROOT)
        wait_until(lambda: port_open(smtp_port), 60, "consultant smtpd", [smtpd])
        wait_until(lambda: celery_ping(redis_url), 120, "product worker", [worker])
        return handle
    except BaseException:
        print(handle.tail_logs(), file=sys.stderr)
        handle.stop()
        raise


def _consultant_cmd() -> list[str]:
    """The `consultant` console script, or its entry point when not installed."""
    exe = shutil.which("consultant")
    return [exe] if exe else [sys.executable, "-c",
                              "import sys; from consultant.cli import main; sys.exit(main())"]


def measure(name: str, sink: Sink, handle: Handle, args: argparse.Namespace) -> Result:
    assert handle.target is not None
    target = handle.target
    print(f"[{name}] warm-up", flush=True)
    warm_up(sink, target, ADDRESS)
    print(f"[{name}] burst of {args.burst}", flush=True)
    b = burst(sink, target, args.burst, args.senders, ADDRESS, args.timeout)
    print(f"[{name}]   {b}", flush=True)
    print(f"[{name}] steady {args.rate}/s for {args.seconds}s", flush=True)
    s = steady(sink, target, args.rate, args.seconds, 2, ADDRESS, args.timeout)
    print(f"[{name}]   {s}", flush=True)
    return Result(b, s)


def table(floor: Result, product: Result | None) -> str:
    rows: list[tuple[str, Callable[[Result], float], str]] = [
        ("throughput (msg/s)", lambda r: r.burst.throughput, "{:.1f}"),
        ("p50 latency (ms)", lambda r: r.steady.p50 * 1000, "{:.1f}"),
        ("p99 latency (ms)", lambda r: r.steady.p99 * 1000, "{:.1f}"),
        ("max latency (ms)", lambda r: r.steady.max * 1000, "{:.1f}"),
        ("missing (burst)", lambda r: r.burst.missing, "{:.0f}"),
        ("missing (steady)", lambda r: r.steady.missing, "{:.0f}"),
    ]
    lines = [f"{'':20} {'floor':>10} {'product':>10} {'product/floor':>14}"]
    for label, get, fmt in rows:
        f = get(floor)
        p = get(product) if product else math.nan
        ratio = p / f if f and not (math.isnan(p) or label.startswith("missing")) else math.nan
        lines.append(f"{label:20} {fmt.format(f):>10} {_fmt(fmt, p):>10} {_fmt('{:.2f}', ratio):>14}")
    return "\n".join(lines)


def _fmt(fmt: str, v: float) -> str:
    return "-" if math.isnan(v) else fmt.format(v)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # run the finally blocks on SIGTERM too


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--burst", type=int, default=1000, help="messages in the burst")
    parser.add_argument("--senders", type=int, default=8, help="sending threads in the burst")
    parser.add_argument("--rate", type=float, default=20.0, help="steady rate, msg/s")
    parser.add_argument("--seconds", type=float, default=30.0, help="steady duration")
    parser.add_argument("--timeout", type=float, default=300.0, help="max wait for replies, s")
    parser.add_argument("--skip-product", action="store_true", help="measure the floor only")
    parser.add_argument("--product-concurrency", type=int, default=2,
                        help="product worker processes (2 measured best on 2 cores; 3-4 were slower)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (logs)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _terminate)

    with ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="bench-e2e-"))
        if args.keep:
            stack.callback(print, f"logs kept in {workdir}", file=sys.stderr)
        else:
            stack.callback(shutil.rmtree, workdir, True)
        redis_handle, redis_url = start_redis(workdir)
        stack.callback(redis_handle.stop)
        sink = stack.enter_context(Sink())

        floor_handle = start_floor(redis_url, sink.url, free_port(), workdir)
        try:
            floor = measure("floor", sink, floor_handle, args)
        finally:
            floor_handle.stop()
        redis.Redis.from_url(redis_url).flushall()

        product = None
        try:
            if not args.skip_product:
                pdir = workdir / "product"
                pdir.mkdir()
                product_handle = start_product(redis_url, sink.url, pdir, args.product_concurrency)
                try:
                    product = measure("product", sink, product_handle, args)
                finally:
                    product_handle.stop()
        finally:
            print()
            print(table(floor, product), flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
