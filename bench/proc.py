"""Process helpers shared by the benchmarks: free ports, readiness waits, cleanup."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

LOCALHOST = "127.0.0.1"


def free_port() -> int:
    """A loopback TCP port that was free a moment ago."""
    with socket.socket() as s:
        s.bind((LOCALHOST, 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout: float, what: str,
               procs: Sequence[subprocess.Popen[bytes]] = ()) -> None:
    """Poll `check` until true; fail early if one of `procs` has exited."""
    deadline = time.monotonic() + timeout
    while not check():
        for p in procs:
            if p.poll() is not None:
                raise RuntimeError(f"{what}: process {p.args!r} exited with {p.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not ready after {timeout:.0f}s")
        time.sleep(0.1)


def port_open(port: int, host: str = LOCALHOST) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def celery_ping(broker_url: str, timeout: float = 1.0) -> bool:
    """True when at least one Celery worker on this broker answers a ping."""
    from celery import Celery

    app = Celery("bench-ping", broker=broker_url)
    app.conf.update(accept_content=["json"], task_serializer="json",
                    result_serializer="json", broker_connection_retry_on_startup=True)
    try:
        return bool(app.control.ping(timeout=timeout))
    except Exception:  # broker not up yet, connection reset, ...
        return False
    finally:
        app.close()


def run(cmd: Sequence[str], env: dict[str, str] | None = None, timeout: float = 300,
        cwd: str | Path | None = None) -> None:
    """Run a command to completion; raise with its output if it fails."""
    res = subprocess.run(list(cmd), env=env, cwd=cwd, timeout=timeout,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if res.returncode != 0:
        out = res.stdout.decode(errors="replace")[-4000:]
        raise RuntimeError(f"{' '.join(cmd)} failed ({res.returncode}):\n{out}")


@dataclass
class Handle:
    """Subprocesses (each in its own process group) and temp dirs to clean up."""

    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    dirs: list[Path] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)
    target: tuple[str, int] | None = None  # where the pipeline accepts SMTP

    def spawn(self, cmd: Sequence[str], log: Path, env: dict[str, str] | None = None,
              cwd: str | Path | None = None) -> subprocess.Popen[bytes]:
        """Start `cmd` in a new session (Ctrl-C reaches only us; we stop it)."""
        with open(log, "ab") as out:
            p = subprocess.Popen(list(cmd), env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                 stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(p)
        self.logs.append(log)
        return p

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM every process group (newest first), SIGKILL stragglers, rm dirs."""
        for p in reversed(self.procs):
            _signal_group(p, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for p in reversed(self.procs):
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(p, signal.SIGKILL)  # also reaps leftover pool children
            p.wait()
        self.procs.clear()
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)
        self.dirs.clear()

    def tail_logs(self, chars: int = 2000) -> str:
        parts = []
        for log in self.logs:
            if log.exists():
                parts.append(f"--- {log.name}\n{log.read_text(errors='replace')[-chars:]}")
        return "\n".join(parts)


def _signal_group(p: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(p.pid, sig)  # pgid == pid: started with start_new_session
    except (ProcessLookupError, PermissionError):
        pass
