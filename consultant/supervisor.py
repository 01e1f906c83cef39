"""`consultant run`: the receiver and the workers as one supervised process group.

A child that exits is started again after a short, growing pause; Ctrl-C or SIGTERM stops them all."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    restarts: int = 0
    started_at: float = 0.0
    next_start: float = 0.0
    backoff: float = field(default=0.5)

    def start(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(self.argv, env=env, start_new_session=True)
        self.started_at = time.monotonic()
        log.info("started %s pid=%d", self.name, self.process.pid)

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM to the child itself (Celery then shuts its pool down warmly); the whole group
        is killed only if that takes longer than `timeout`."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def worker_argv(concurrency: int, beat: bool = True) -> list[str]:
    argv = [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "--pool", "prefork",
            "--concurrency", str(concurrency), "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--loglevel", "INFO"]
    return argv + ["--beat"] if beat else argv


def web_argv() -> list[str]:
    return [sys.executable, "-m", "consultant.cli", "web"]


def receiver_argv() -> list[str]:
    return [sys.executable, "-m", "consultant.cli", "smtpd"]


def imap_argv() -> list[str]:
    return [sys.executable, "-m", "consultant.cli", "imap"]


class Supervisor:
    def __init__(self, children: list[Child], env: dict[str, str]) -> None:
        self.children = children
        self.env = env
        self.stopping = False

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._request_stop)
        signal.signal(signal.SIGINT, self._request_stop)
        for child in self.children:
            child.start(self.env)
        try:
            while not self.stopping:
                self._restart_exited()
                time.sleep(0.2)
        finally:
            for child in self.children:
                if child.process is not None and child.process.poll() is None:
                    child.process.terminate()
            for child in reversed(self.children):
                child.stop()
        return 0

    def _restart_exited(self) -> None:
        now = time.monotonic()
        for child in self.children:
            code = child.exited()
            if code is None:
                continue
            if child.next_start == 0.0:
                ran_for = now - child.started_at
                child.backoff = 0.5 if ran_for > 30 else min(child.backoff * 2, 30.0)
                child.next_start = now + child.backoff
                log.warning("%s exited code=%s; restarting in %.1fs", child.name, code, child.backoff)
            elif now >= child.next_start:
                child.restarts += 1
                child.next_start = 0.0
                child.start(self.env)

    def _request_stop(self, signum, _frame) -> None:
        self.stopping = True
