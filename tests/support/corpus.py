"""The real-world mail corpus kept in the repository: tests/corpus/ (see its README.md)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS = REPO_ROOT / "tests" / "corpus"


def corpus_folder(name: str) -> Path:
    """The folder, or an assertion error naming where it was looked for: a missing corpus fails."""
    folder = CORPUS / name
    assert folder.is_dir(), f"corpus folder {folder} is missing"
    return folder
