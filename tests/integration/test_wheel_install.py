"""The wheel as a user installs it: built from the checkout, installed with constraints.txt into a new
virtual environment, and run from an empty directory, so that nothing can come from the checkout."""

from __future__ import annotations

import os
import smtplib
import subprocess
import sys
from pathlib import Path

import pytest

from tests.builders import question_email
from tests.support.product import REPO, WORKER_READY, Process, free_port
from tests.support.servers import HOST


def _clean_env(data_dir: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CONSULTANT_") and k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["CONSULTANT_DATA_DIR"] = str(data_dir)
    env["PYTHONUNBUFFERED"] = "1"
    env.update({f"CONSULTANT_{k.upper()}": v for k, v in settings.items()})
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin/ folder of a new virtual environment holding the wheel and the locked dependencies."""
    root = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(root / "dist"), str(REPO)],
                   check=True, cwd=root, capture_output=True)
    [wheel] = (root / "dist").glob("consultant-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True)
    bin_dir = root / "venv" / "bin"
    subprocess.run([str(bin_dir / "pip"), "install", "-q", "-c", str(REPO / "constraints.txt"), str(wheel)],
                   check=True, cwd=root, capture_output=True)
    return bin_dir


@pytest.fixture
def empty_dir(tmp_path) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


class TestWheelInstall:
    def test_templates_and_config_come_from_the_installed_package(self, installed, empty_dir, tmp_path):
        probe = ("from consultant.settings import get_settings; s = get_settings(); "
                 "print(s.templates_dir, s.routing_policy, s.plans, sep='\\n')")
        out = subprocess.run([str(installed / "python"), "-c", probe], cwd=empty_dir, check=True, text=True,
                             capture_output=True, env=_clean_env(tmp_path / "data")).stdout.split()
        site = installed.parent / "lib"
        assert all(Path(path).is_relative_to(site) and Path(path).exists() for path in out), out
        assert not any(Path(path).is_relative_to(REPO) for path in out)

    def test_codes_show_works_on_first_use_from_an_empty_directory(self, installed, empty_dir, tmp_path):
        result = subprocess.run([str(installed / "consultant"), "codes", "show", "K76.0"], cwd=empty_dir, text=True,
                                capture_output=True, env=_clean_env(tmp_path / "data"), timeout=300)
        assert result.returncode == 0, result.stderr
        assert "Fatty (change of) liver, not elsewhere classified" in result.stdout
        assert "created the schema" in result.stderr and "instructional notes" in result.stderr  # progress lines
        assert list(empty_dir.iterdir()) == []  # the data went to CONSULTANT_DATA_DIR

    def test_consultant_run_answers_a_question_at_a_sink(self, installed, empty_dir, tmp_path, smtp_sink):
        port = free_port()
        env = _clean_env(tmp_path / "data", smtp_listen=f"{HOST}:{port}", web_listen=f"{HOST}:{free_port()}",
                         relay=smtp_sink.url, workers="1")
        with Process("run", [str(installed / "consultant"), "run"], env, tmp_path, cwd=empty_dir) as run:
            run.wait_for_port(port, timeout=240)
            run.wait_for_log(WORKER_READY, timeout=90)
            with smtplib.SMTP(HOST, port, timeout=10) as smtp:
                smtp.sendmail("coder@example.org", ["ask@consultant.localhost"],
                              question_email("What is ICD-10-CM code K76.0?", message_id="<wheel@example.org>"))
            [reply] = smtp_sink.wait_for(1, timeout=60)
        assert reply.message["In-Reply-To"] == "<wheel@example.org>"
        assert "Fatty (change of) liver, not elsewhere classified" in reply.message.get_body(("plain",)).get_content()
