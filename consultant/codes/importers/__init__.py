"""One importer per public file format. Each module has `load(session, path, version=None) -> ImportReport`
and raises ImportFormatError (line number and reason) before writing anything."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from sqlalchemy.orm import Session

from consultant.codes.importers.base import ImportFormatError, ImportReport

IMPORTERS = {
    "icd10pcs": "consultant.codes.importers.icd10pcs",
    "hcpcs": "consultant.codes.importers.hcpcs",
    "cpt": "consultant.codes.importers.cpt",
    "ncci-ptp": "consultant.codes.importers.ncci",
    "mue": "consultant.codes.importers.mue",
    "icd10cm-index": "consultant.codes.importers.icd10cm_index",
}

__all__ = ["IMPORTERS", "ImportFormatError", "ImportReport", "import_file"]


# the code sets whose text is searchable, per import kind
SEARCH_SYSTEMS = {"icd10pcs": ("pcs",), "hcpcs": ("hcpcs", "modifier"), "cpt": ("cpt", "modifier"),
                  "icd10cm-index": ("icd10cm",)}


def import_file(session: Session, kind: str, path: Path, version: str | None = None) -> ImportReport:
    """Import one file and refresh the search index for what it changed."""
    from consultant.codes.search import rebuild_index

    if kind not in IMPORTERS:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(IMPORTERS)}")
    report = import_module(IMPORTERS[kind]).load(session, path, version=version)
    if kind in SEARCH_SYSTEMS:
        rebuild_index(session, SEARCH_SYSTEMS[kind])
    return report
