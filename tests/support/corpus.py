"""Where the shared real-world mail corpus is: CONSULTANT_CORPUS_DIR, else ../shared/corpus beside the repo."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("CONSULTANT_CORPUS_DIR", REPO_ROOT.parent / "shared" / "corpus"))


def corpus_folder(name: str) -> Path:
    """The folder, or an assertion error naming where it was looked for: a missing corpus fails."""
    folder = CORPUS / name
    assert folder.is_dir(), f"corpus folder {folder} is missing (set CONSULTANT_CORPUS_DIR)"
    return folder
