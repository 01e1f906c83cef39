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

__all__ = ["COMPLETENESS_KINDS", "IMPORTERS", "ImportFormatError", "ImportReport", "import_file"]


# the code sets whose text is searchable, per import kind
SEARCH_SYSTEMS = {"icd10pcs": ("pcs",), "hcpcs": ("hcpcs", "modifier"), "cpt": ("cpt", "modifier"),
                  "icd10cm-index": ("icd10cm",)}


# the kinds whose file may or may not be the whole official code set (`--full` / `--partial`)
COMPLETENESS_KINDS = ("icd10pcs", "hcpcs", "cpt")


def import_file(session: Session, kind: str, path: Path, version: str | None = None,
                full: bool | None = None) -> ImportReport:
    """Import one file and refresh the search index for what it changed. `full`: whether the file is the
    whole official release of its code set (None: the importer decides; a CPT file never is)."""
    from consultant.codes.search import rebuild_index

    if kind not in IMPORTERS:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(IMPORTERS)}")
    if full is not None and kind not in COMPLETENESS_KINDS:
        raise ValueError(f"--full/--partial is for code set files ({', '.join(COMPLETENESS_KINDS)}), not {kind}")
    options = {"full": full} if kind in COMPLETENESS_KINDS else {}
    report = import_module(IMPORTERS[kind]).load(session, path, version=version, **options)
    if kind in SEARCH_SYSTEMS:
        rebuild_index(session, SEARCH_SYSTEMS[kind])
    return report
