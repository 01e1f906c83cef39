"""The files shipped beside the code: `templates/` and `config/` at the top of the repository.

A wheel carries them inside the package as `consultant/_shipped/<name>` (pyproject.toml, force-include);
a source checkout (or an editable install) reads them where they stand. Operators override each file
by a setting (CONSULTANT_TEMPLATES_DIR, CONSULTANT_ROUTING_POLICY, CONSULTANT_PLANS, CONSULTANT_LOG_CONFIG)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parent.parent


def shipped(name: str) -> Path:
    """The folder `templates` or `config` as installed: inside the wheel, else in the source checkout."""
    packaged = resources.files("consultant") / "_shipped" / name
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = SOURCE_ROOT / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"consultant's {name}/ is neither in the installed package nor at {checkout}: reinstall it")
