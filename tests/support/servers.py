"""Real throw-away servers for tests: Redis, PostgreSQL and an SMTP sink.

Every server listens on a free port on 127.0.0.1 only and keeps its files in a
private directory.  Redis and PostgreSQL run as subprocesses started from their
binaries (each in its own process group, so a stray server is killed at
interpreter exit); the SMTP sink is an in-process aiosmtpd controller thread.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import asyncio
import atexit
import email
import email.policy
import functools
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar, cast

import psycopg
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from psycopg import sql

__all__ = [
    "PostgresServer",
    "Received",
    "RedisServer",
    "SmtpSink",
    "free_port",
    "postgres_bindir",
    "wait_until",
]

HOST = "127.0.0.1"
T = TypeVar("T")


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_until(
    predicate: Callable[[], T],
    timeout: float = 10.0,
    interval: float = 0.05,
    message: str | Callable[[], str] = "condition not met",
) -> T:
    """Poll ``predicate`` until it returns a truthy value, and return that value.

    Raises AssertionError after ``timeout`` seconds; ``message`` may be a
    callable so that the error can describe the state at the time of failure.
    Exceptions raised by the predicate propagate immediately.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            raise AssertionError(f"{text} (waited {timeout:g}s)")
        time.sleep(interval)


def _log_tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"<cannot read {path}: {exc}>"
    return "\n".join(text.splitlines()[-lines:])


_LIVE: set[subprocess.Popen[bytes]] = set()


@atexit.register
def _kill_leftovers() -> None:
    for proc in list(_LIVE):
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _spawn(
    argv: list[str],
    log_path: Path,
    cwd: Path,
    user: pwd.struct_passwd | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in a new process group with stdout+stderr appended to ``log_path``."""
    ids: dict[str, Any] = {}
    if user is not None:
        ids = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            start_new_session=True,
            **ids,
        )
    _LIVE.add(proc)
    return proc


def _terminate(proc: subprocess.Popen[bytes], sig: int, timeout: float = 15.0) -> None:
    """Send ``sig`` and wait; SIGKILL the whole process group if that takes too long."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            _killpg(proc)
    _LIVE.discard(proc)


def _group_alive(pgid: int) -> bool:
    """Whether any non-zombie process is left in process group ``pgid`` (Linux /proc)."""
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            text = Path(stat).read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()  # state ppid pgrp ...
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False


def _killpg(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL every process in ``proc``'s group and wait until they are all gone."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(10)
    _LIVE.discard(proc)
    wait_until(
        lambda: not _group_alive(proc.pid),
        timeout=10,
        message=f"processes of group {proc.pid} survived SIGKILL",
    )


class _ContextManager(ABC):
    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# --------------------------------------------------------------------------- Redis


class RedisServer(_ContextManager):
    """A redis-server without persistence on 127.0.0.1:<free port>."""

    def __init__(self, directory: Path | None = None, binary: str = "redis-server") -> None:
        self._own_dir = directory is None
        self.directory = Path(directory or tempfile.mkdtemp(prefix="redis-test-"))
        self.binary = shutil.which(binary) or binary
        self.port = free_port()
        self.log_path = self.directory / "redis.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def client(self) -> redis.Redis:
        """A new client; use it as a context manager (or call close()) to release it."""
        return redis.Redis(host=HOST, port=self.port, db=0, socket_timeout=5)

    def start(self) -> None:
        argv = [self.binary, "--port", str(self.port), "--bind", HOST, "--save", "",
                "--appendonly", "no", "--dir", str(self.directory), "--daemonize", "no"]
        self._proc = _spawn(argv, self.log_path, cwd=self.directory)
        wait_until(self._answers_ping, timeout=15,
                   message=lambda: f"redis-server on port {self.port} did not answer PING; "
                                   f"log:\n{_log_tail(self.log_path)}")

    def _answers_ping(self) -> bool:
        assert self._proc is not None
        if self._proc.poll() is not None:
            raise RuntimeError(f"redis-server exited with {self._proc.returncode}; "
                               f"log:\n{_log_tail(self.log_path)}")
        probe = redis.Redis(host=HOST, port=self.port, socket_connect_timeout=0.5,
                            socket_timeout=0.5, retry=Retry(NoBackoff(), 0))
        try:
            return bool(probe.ping())
        except redis.exceptions.RedisError:
            return False
        finally:
            probe.close()

    def flushall(self) -> None:
        with self.client() as client:
            client.flushall()

    def stop(self) -> None:
        if self._proc is not None:
            _terminate(self._proc, signal.SIGTERM)
            self._proc = None

    def close(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.directory, ignore_errors=True)


# --------------------------------------------------------------------------- PostgreSQL


def _has_postgres(bindir: str | Path) -> bool:
    return os.access(Path(bindir) / "postgres", os.X_OK)


@functools.cache
def postgres_bindir() -> Path:
    """Directory holding initdb/postgres: ``pg_config --bindir``, else the newest
    /usr/lib/postgresql/*/bin, else wherever ``postgres`` is on PATH."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if out.returncode == 0 and _has_postgres(out.stdout.strip()):
            return Path(out.stdout.strip())
    versioned = [d for d in glob.glob("/usr/lib/postgresql/*/bin") if _has_postgres(d)]
    if versioned:
        def version(d: str) -> list[int]:
            return [int(n) for n in re.findall(r"\d+", Path(d).parent.name)]
        return Path(max(versioned, key=version))
    on_path = shutil.which("postgres")
    if on_path:
        return Path(on_path).resolve().parent
    raise RuntimeError("cannot find the PostgreSQL server binaries (postgres, initdb)")


class PostgresServer(_ContextManager):
    """A throw-away PostgreSQL cluster on 127.0.0.1:<free port>, superuser ``postgres``,
    trust authentication, durability switched off for speed.

    When running as root the cluster runs as the ``postgres`` system user, and its
    files live in a private directory under the system temp dir (``directory`` is then
    ignored, since the ``postgres`` user usually cannot enter pytest's root-only
    temp dirs); that directory is removed by close().
    """

    def __init__(self, directory: Path | None = None) -> None:
        self._user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        self._own_dir = directory is None or self._user is not None
        if self._own_dir:
            directory = Path(tempfile.mkdtemp(prefix="pg-test-"))
        assert directory is not None
        self.directory = Path(directory)
        self.data_dir = self.directory / "data"
        self.log_path = self.directory / "postgres.log"
        self.bindir = postgres_bindir()
        self.port = free_port()
        self._proc: subprocess.Popen[bytes] | None = None

    # -- lifecycle

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """initdb (first time only), start the server, and wait until it accepts connections."""
        if self.running:
            return
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        argv = [str(self.bindir / "postgres"), "-D", str(self.data_dir), "-p", str(self.port),
                "-k", str(self.directory), "-c", f"listen_addresses={HOST}",
                "-c", "fsync=off", "-c", "synchronous_commit=off",
                "-c", "full_page_writes=off", "-c", "max_connections=200"]
        self._proc = _spawn(argv, self.log_path, cwd=self.directory, user=self._user)
        wait_until(self._accepts_connections, timeout=30, interval=0.1,
                   message=lambda: f"PostgreSQL on port {self.port} not ready; "
                                   f"log tail:\n{_log_tail(self.log_path)}")

    def _initdb(self) -> None:
        if self._user is not None:
            os.chown(self.directory, self._user.pw_uid, self._user.pw_gid)
            os.chmod(self.directory, 0o700)
        argv = [str(self.bindir / "initdb"), "-D", str(self.data_dir), "-U", "postgres",
                "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"]
        proc = _spawn(argv, self.log_path, cwd=self.directory, user=self._user)
        _LIVE.discard(proc)
        if proc.wait(120) != 0:
            raise RuntimeError(f"initdb failed ({proc.returncode}):\n{_log_tail(self.log_path)}")

    def _accepts_connections(self) -> bool:
        assert self._proc is not None
        if self._proc.poll() is not None:
            raise RuntimeError(f"postgres exited with {self._proc.returncode}; "
                               f"log tail:\n{_log_tail(self.log_path)}")
        try:
            with psycopg.connect(self.conninfo(), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def stop(self) -> None:
        """Fast shutdown (SIGINT): clients are disconnected, data is kept."""
        if self._proc is not None:
            _terminate(self._proc, signal.SIGINT, timeout=20)
            self._proc = None

    def kill(self) -> None:
        """SIGKILL the postmaster and all its backends (the database is suddenly gone)."""
        if self._proc is not None:
            _killpg(self._proc)
            self._proc = None

    def restart(self) -> None:
        """Start again (after stop() or kill()) on the same port and data directory."""
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.directory, ignore_errors=True)

    # -- databases

    def conninfo(self, dbname: str = "postgres") -> str:
        """A libpq/psycopg connection string."""
        return f"host={HOST} port={self.port} user=postgres dbname={dbname}"

    def url(self, dbname: str = "postgres") -> str:
        """A SQLAlchemy URL (psycopg 3 driver)."""
        return f"postgresql+psycopg://postgres@{HOST}:{self.port}/{dbname}"

    def create_database(self, name: str | None = None, template: str | None = None) -> str:
        """Create a database (random unique name if None), as a copy of `template` when given, and return its
        SQLAlchemy URL. A copy of a prepared template costs a file copy instead of a catalog load."""
        name = name or f"test_{uuid.uuid4().hex[:16]}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with psycopg.connect(self.conninfo(), autocommit=True) as conn:
            conn.execute(statement)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database if it exists, terminating any connections to it."""
        with psycopg.connect(self.conninfo(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                         .format(sql.Identifier(name)))


# --------------------------------------------------------------------------- SMTP


@dataclass(frozen=True)
class Received:
    """One message accepted by SmtpSink (it got its 250 reply)."""

    arrived: float  # time.monotonic() when the DATA content had been read
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes = field(repr=False)
    message: EmailMessage = field(repr=False)

    @property
    def subject(self) -> str | None:
        return self.message["Subject"]


class SmtpSink(_ContextManager):
    """An in-process SMTP server on 127.0.0.1:<free port> recording what it accepts.

    ``hold()`` makes every DATA reply wait until ``release()``; a client that
    disconnects meanwhile never gets its 250 and so its message is not recorded.
    ``reject_next(n)`` answers the next n DATA commands with a failure reply.
    """

    DATA_SIZE_LIMIT = 50 * 1024 * 1024

    def __init__(self) -> None:
        self.port = free_port()
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._rejects: deque[str] = deque()
        self._pending = 0
        self._released = asyncio.Event()
        self._released.set()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://{HOST}:{self.port}"

    def start(self) -> None:
        self._released = asyncio.Event()  # bound to the new controller's loop on first use
        self._released.set()
        self._controller = Controller(
            _SinkHandler(self), hostname=HOST, port=self.port, server_hostname="localhost",
            data_size_limit=self.DATA_SIZE_LIMIT, decode_data=False)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def close(self) -> None:
        self.stop()

    # -- inspection

    @property
    def messages(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    @property
    def pending(self) -> int:
        """Number of DATA transactions currently waiting for release()."""
        with self._lock:
            return self._pending

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Wait until at least ``count`` messages were recorded; return them all."""
        wait_until(lambda: len(self.messages) >= count, timeout=timeout,
                   message=lambda: f"expected {count} message(s), got {len(self.messages)}: "
                                   f"{self._describe()}")
        return self.messages

    def _describe(self) -> str:
        return repr([(m.mail_from, m.rcpt_tos, m.subject) for m in self.messages])

    def clear(self) -> None:
        with self._lock:
            self._received.clear()

    # -- behaviour

    def hold(self) -> None:
        self._in_loop(self._released.clear)

    def release(self) -> None:
        self._in_loop(self._released.set)

    def reject_next(self, n: int = 1, code: str = "451 4.3.0 Try again later") -> None:
        with self._lock:
            self._rejects.extend([code] * n)

    def _in_loop(self, func: Callable[[], None]) -> None:
        """Run ``func`` on the server's event loop (asyncio objects are not thread-safe)."""
        if self._controller is None:
            func()
            return

        async def call() -> None:
            func()

        asyncio.run_coroutine_threadsafe(call(), self._controller.loop).result(timeout=10)

    async def _handle_data(self, server: SMTP, envelope: Envelope) -> str:
        arrived = time.monotonic()
        with self._lock:
            self._pending += 1
        try:
            await self._released.wait()  # raises CancelledError if the client goes away
        finally:
            with self._lock:
                self._pending -= 1
        if server.transport is None or server.transport.is_closing():
            return "421 4.3.0 Client went away"
        raw = envelope.original_content or b""
        with self._lock:
            if self._rejects:
                return self._rejects.popleft()
            self._received.append(Received(
                arrived=arrived,
                mail_from=envelope.mail_from or "",
                rcpt_tos=list(envelope.rcpt_tos),
                raw=raw,
                message=cast(EmailMessage,
                             email.message_from_bytes(raw, policy=email.policy.default)),
            ))
        return "250 OK"


class _SinkHandler:
    """aiosmtpd handler object; only the DATA hook is customised."""

    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return await self._sink._handle_data(server, envelope)
