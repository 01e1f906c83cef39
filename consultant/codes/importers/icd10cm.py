"""ICD-10-CM from the CMS tabular data shipped in the simple-icd-10-cm package.

The package expands 7th-character definitions into full codes (S72.001A), so every billable
code is a leaf of the tabular tree."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from importlib import metadata

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from consultant.codes.models import CatalogCode

log = logging.getLogger(__name__)

SYSTEM = "icd10cm"
SOURCE = "CMS ICD-10-CM tabular list (via simple-icd-10-cm {package})"
VERSION = "ICD-10-CM 2026"


def _package():
    # the package reads its data with importlib.resources' legacy API, deprecated since 3.11
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm

    return simple_icd_10_cm


def _rows() -> Iterator[dict]:
    cm = _package()
    source = SOURCE.format(package=metadata.version("simple-icd-10-cm"))
    rows: dict[str, dict] = {}
    for code in cm.get_all_codes(with_dots=True):
        # a few blocks share their name with their only category (B10, C7A, ...): the category wins
        repeated = code in rows
        rows[code] = {
            "system": SYSTEM,
            "code": code,
            "descriptor": cm.get_description(code),
            "kind": _kind(cm, code, repeated),
            "parent": cm.get_parent(code) or None,
            "source": source,
            "version": VERSION,
        }
    return iter(rows.values())


def _kind(cm, code: str, repeated: bool) -> str:
    if not repeated and cm.is_chapter(code):
        return "chapter"
    if not repeated and cm.is_block(code):
        return "block"
    return "billable" if cm.is_leaf(code) else "header"


def loaded_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(CatalogCode).where(CatalogCode.system == SYSTEM)) or 0


def load(session: Session, batch: int = 5000) -> int:
    """Replace the ICD-10-CM rows with the packaged release. Returns the number of codes."""
    session.execute(delete(CatalogCode).where(CatalogCode.system == SYSTEM))
    total = 0
    pending: list[dict] = []
    for row in _rows():
        pending.append(row)
        if len(pending) >= batch:
            session.execute(insert(CatalogCode), pending)
            total += len(pending)
            pending = []
    if pending:
        session.execute(insert(CatalogCode), pending)
        total += len(pending)
    log.info("catalog loaded system=%s codes=%d", SYSTEM, total)
    return total
