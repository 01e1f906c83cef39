"""The repository stands alone: no test or CI file refers to a path outside it, and what the README promises
about installing holds in the files that do it."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# a sibling folder, the team's shared folder, or a home or workspace on this machine (system paths such as
# /usr/bin/chromium and /tmp are fine: every machine has them)
OUTSIDE_WORDS = re.compile(r"\.\./|\bshared/|(?<![\w.])/(?:work|root|home|opt|mnt|srv|media)/")


def python_files() -> list[Path]:
    """Every test module but the corpus and this one (whose examples below name such paths on purpose)."""
    return sorted(p for p in (REPO / "tests").rglob("*.py")
                  if "corpus" not in p.relative_to(REPO).parts and p != Path(__file__).resolve())


def outside_references(path: Path) -> list[str]:
    """What in one Python file points outside the repository: path strings, `parents[k]` above the
    repository root, and `.parent` of a name that already stands for the root."""
    tree = ast.parse(path.read_text(), filename=str(path))
    depth = len(path.relative_to(REPO).parts) - 1  # parents[depth - 1] is the repository's root
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if OUTSIDE_WORDS.search(text):
                found.append(f"line {node.lineno}: {text!r}")
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) \
                and node.value.attr == "parents" and isinstance(node.slice, ast.Constant) \
                and isinstance(node.slice.value, int) and node.slice.value > depth:
            found.append(f"line {node.lineno}: parents[{node.slice.value}] is above the repository")
        elif isinstance(node, ast.Attribute) and node.attr == "parent" and isinstance(node.value, ast.Name) \
                and node.value.id in ("REPO", "REPO_ROOT", "ROOT", "PROJECT_ROOT"):
            found.append(f"line {node.lineno}: {node.value.id}.parent is outside the repository")
    return found


class TestNothingOutsideTheRepository:
    def test_no_test_module_refers_to_a_path_outside_the_repository(self):
        offences = {str(p.relative_to(REPO)): outside_references(p) for p in python_files()}
        assert {name: lines for name, lines in offences.items() if lines} == {}

    def test_ci_scripts_name_nothing_outside_the_repository(self):
        for script in sorted((REPO / ".ci").iterdir()):
            assert not OUTSIDE_WORDS.search(script.read_text()), script.name

    SHARED = "sha" + "red"  # spelled apart so that this file itself names no such path
    @pytest.mark.parametrize("source", [
        'CORPUS = REPO_ROOT.parent / "shared" / "corpus"',
        'CORPUS = Path(__file__).parents[3] / "corpus"',
        f'DATA = Path("/work/{SHARED}/corpus")',
        f'DATA = "../{SHARED}/corpus/flanker"',
    ])
    def test_the_check_catches_the_ways_a_test_has_reached_outside(self, source, tmp_path):
        probe = REPO / "tests" / "support" / "_probe_outside.py"
        probe.write_text(source + "\n")
        try:
            assert outside_references(probe)
        finally:
            probe.unlink()

    def test_the_corpus_is_inside_with_its_licences(self):
        corpus = REPO / "tests" / "corpus"
        folders = [p for p in corpus.iterdir() if p.is_dir()]
        assert {p.name for p in folders} == {"flanker", "mail-parser", "sisimai-bounces", "sisimai-not-bounces"}
        for folder in folders:
            assert (folder / "LICENSE").is_file(), folder.name
            assert folder.name in (corpus / "README.md").read_text()


class TestInstallFiles:
    def test_the_readme_opens_with_the_two_commands_in_a_virtual_environment(self):
        readme = (REPO / "README.md").read_text()
        block = readme.split("```sh\n", 1)[1].split("```", 1)[0]
        commands = [line for line in block.splitlines() if line and not line.startswith("#")]
        assert len(commands) == 2
        for command in commands:
            assert command.count("python3 -m venv .venv && . .venv/bin/activate") == 1
            assert "pip install -c constraints.txt" in command
        assert commands[0].endswith("consultant run")
        assert commands[1].endswith("python -m pytest")

    def test_ci_runs_the_readmes_test_command_exactly(self):
        readme = (REPO / "README.md").read_text()
        test_command = readme.split("```sh\n", 1)[1].split("```", 1)[0].strip().splitlines()[-1]
        assert test_command in (REPO / ".ci" / "run").read_text()

    def test_the_lock_names_every_dependency_with_one_version(self):
        pinned = dict(
            line.split("==", 1) for line in (REPO / "constraints.txt").read_text().splitlines()
            if line and not line.startswith((" ", "#"))
        )
        project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
        requirements = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
        declared = [re.match(r"[A-Za-z0-9_.-]+", requirement).group() for requirement in requirements]
        names = {name.lower().replace("_", "-") for name in pinned}
        missing = [name for name in declared if name.lower().replace("_", "-") not in names]
        assert missing == []

    def test_the_dockerfile_installs_the_built_wheel_with_the_lock(self):
        dockerfile = (REPO / "Dockerfile").read_text()
        assert "pip install -e" not in dockerfile and "pip wheel" in dockerfile
        assert "-c /tmp/constraints.txt /tmp/dist/*.whl" in dockerfile
