"""`consultant run` as one process group: its children go with it, even when it is killed with SIGKILL, and
a second one on taken addresses fails at once with the reason instead of restarting its children forever."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from consultant.supervisor import address_in_use
from tests.support.product import REPO, WORKER_READY, Process, consultant_argv, free_port, product_env
from tests.support.servers import HOST, wait_until


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # state ppid pgrp ...


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")


@pytest.fixture
def running(tmp_path):
    smtp_port, web_port = free_port(), free_port()
    env = product_env(tmp_path / "var", smtp_listen=f"{HOST}:{smtp_port}", web_listen=f"{HOST}:{web_port}")
    with Process("run", consultant_argv("run"), env, tmp_path) as run:
        run.wait_for_port(smtp_port, timeout=120)
        run.wait_for_port(web_port, timeout=60)
        run.wait_for_log(WORKER_READY, timeout=60)
        run.ports, run.env = (smtp_port, web_port), env
        yield run


class TestSupervisor:
    def test_sigkill_of_the_supervisor_takes_every_child_with_it_and_frees_the_ports(self, running):
        family = descendants(running.proc.pid)
        assert len(family) >= 5, family  # receiver, worker, its pool of 2 and its beat, web app
        os.kill(running.proc.pid, signal.SIGKILL)
        running.proc.wait(10)
        wait_until(lambda: not any(alive(pid) for pid in family), timeout=10,
                   message=lambda: f"survived their supervisor: {sorted(p for p in family if alive(p))}")
        assert not any(address_in_use(HOST, port) for port in running.ports)

    def test_a_second_run_on_the_same_addresses_fails_at_once_naming_the_address(self, running, tmp_path):
        second = subprocess.run(consultant_argv("run"), env={**running.env, "CONSULTANT_DATA_DIR": str(tmp_path / "b")},
                                cwd=REPO, capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert f"cannot listen on {HOST}:{running.ports[0]}: the address is in use" in second.stderr
        assert not (tmp_path / "b" / "consultant.sqlite3").exists()  # it stopped before preparing anything
        assert running.proc.poll() is None

    def test_a_taken_web_address_stops_run_before_it_starts_anything(self, tmp_path):
        with socket.socket() as squatter:
            squatter.bind((HOST, 0))
            squatter.listen()
            web_port = squatter.getsockname()[1]
            env = product_env(tmp_path / "var", smtp_listen=f"{HOST}:{free_port()}", web_listen=f"{HOST}:{web_port}")
            result = subprocess.run(consultant_argv("run"), env=env, cwd=REPO, capture_output=True, text=True,
                                    timeout=60)
        assert result.returncode == 1
        assert f"the web app cannot listen on {HOST}:{web_port}" in result.stderr
