"""`consultant run`: the receiver and the workers as one supervised process group.

A child that exits is started again after a short, growing pause; Ctrl-C or SIGTERM stops them all.
Children die with the supervisor, even when it is killed with SIGKILL: each one asks the kernel for a
SIGKILL when its parent goes (prctl PR_SET_PDEATHSIG), and the Celery worker asks the same for its pool
processes and its beat (workers/celery_app.py). A child that cannot listen because its address is taken
stops the whole group with that reason instead of restarting forever."""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
SUPERVISED = "CONSULTANT_SUPERVISED"  # set in the children's environment


def die_with_parent(parent_pid: int | None = None) -> None:
    """Have the kernel SIGKILL this process when its parent exits (Linux). When `parent_pid` is given and the
    parent is already gone (it died before we got here), exit now."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)


class AddressInUse(Exception):
    """A child's listening address is taken by another process."""


def address_in_use(host: str, port: int) -> bool:
    """Whether another process listens on host:port (binding as our servers do, with SO_REUSEADDR)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise
    return False


def ensure_free(name: str, host: str, port: int) -> None:
    if address_in_use(host, port):
        raise AddressInUse(f"the {name} cannot listen on {host}:{port}: the address is in use "
                           "(another `consultant run`, or set another address)")


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    restarts: int = 0
    started_at: float = 0.0
    next_start: float = 0.0
    backoff: float = field(default=0.5)
    listens: tuple[str, int] | None = None  # the address it serves, checked before each start

    def check_address(self) -> None:
        if self.listens is not None:
            ensure_free(self.name, *self.listens)

    def start(self, env: dict[str, str]) -> None:
        self.check_address()
        supervisor = os.getpid()
        self.process = subprocess.Popen(self.argv, env=env, start_new_session=True,
                                        preexec_fn=lambda: die_with_parent(supervisor))
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


def worker_argv(concurrency: int, beat: bool = True, quiet: bool = False) -> list[str]:
    """`quiet`: no banner (`consultant run` keeps its terminal for what an operator needs)."""
    argv = [sys.executable, "-m", "celery", *(["--quiet"] if quiet else []), "-A", "workers.celery_app", "worker",
            "--pool", "prefork", "--concurrency", str(concurrency), "--without-gossip", "--without-mingle",
            "--without-heartbeat", "--loglevel", "INFO"]
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
        self.env = {**env, SUPERVISED: "1"}
        self.stopping = False

    def run(self) -> int:
        """Until SIGTERM or Ctrl-C: 0. Raises AddressInUse (after stopping the others) when a child's
        address is taken."""
        signal.signal(signal.SIGTERM, self._request_stop)
        signal.signal(signal.SIGINT, self._request_stop)
        self.check_addresses()
        try:
            for child in self.children:
                child.start(self.env)
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

    def check_addresses(self) -> None:
        """AddressInUse for the first child whose address is taken: before any starts, nothing is left running."""
        for child in self.children:
            child.check_address()

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
