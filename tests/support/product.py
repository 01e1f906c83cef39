"""Start the product's own processes (`consultant run`, `consultant smtpd`, a Celery worker) as
subprocesses with a given environment, their output in a log file the tests can wait on."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

from consultant.supervisor import worker_argv
from tests.support.servers import HOST, _killpg, _spawn, _terminate, free_port, wait_until

REPO = Path(__file__).resolve().parents[2]


def consultant_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "consultant.cli", *args]


def product_env(data_dir: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTANT_")}
    env["CONSULTANT_DATA_DIR"] = str(data_dir)
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONWARNINGS"] = "ignore"  # Celery's running-as-root SecurityWarning
    env["CONSULTANT_WEB_LISTEN"] = f"{HOST}:{free_port()}"  # `consultant run` serves the web app too
    # other features are tested without quotas getting in the way; metering tests pass plans= themselves
    env["CONSULTANT_PLANS"] = str(REPO / "tests" / "fixtures" / "plans" / "unmetered.toml")
    for name, value in settings.items():
        env[f"CONSULTANT_{name.upper()}"] = value
    return env


def run_command(argv: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(argv, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"{argv} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


class Process:
    """One long-running product process; `log()` is everything it printed so far."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path, cwd: Path = REPO) -> None:
        self.name, self.argv, self.env, self.cwd = name, argv, env, cwd
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.proc = _spawn(self.argv, self.log_path, self.cwd, env=self.env)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_log(self, pattern: str, timeout: float = 60.0, count: int = 1) -> None:
        regex = re.compile(pattern)

        def seen() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited {self.proc.returncode}:\n{self.log()[-4000:]}")
            return len(regex.findall(self.log())) >= count

        wait_until(seen, timeout, message=lambda: f"{self.name} never logged {pattern!r}:\n{self.log()[-4000:]}")

    def wait_for_port(self, port: int, timeout: float = 60.0) -> None:
        def accepting() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited {self.proc.returncode}:\n{self.log()[-4000:]}")
            with socket.socket() as probe:
                probe.settimeout(0.5)
                return probe.connect_ex((HOST, port)) == 0

        wait_until(accepting, timeout, message=lambda: f"{self.name} not listening on {port}:\n{self.log()[-4000:]}")

    def kill(self) -> None:
        """SIGKILL the process and all its children at once (a crash, not a shutdown)."""
        if self.proc is not None:
            _killpg(self.proc)

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        _terminate(self.proc, signal.SIGTERM, timeout=20)
        return self.proc.returncode

    def __enter__(self) -> Process:
        return self.start()

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.stop()


WORKER_READY = r"celery@\S+ ready\."
__all__ = ["Process", "WORKER_READY", "consultant_argv", "free_port", "product_env", "run_command", "worker_argv"]
