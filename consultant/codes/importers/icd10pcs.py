"""ICD-10-PCS from the CMS order file (icd10pcs_order_YYYY.txt), fixed width as CMS's
icd10pcsOrderFile.pdf describes it (columns are 1-based):

    1-5    order number, right-justified, zero-filled
    7-13   code, no dots, left-justified (the 3-character table headers are padded with spaces)
    15     1 = valid for HIPAA-covered transactions (billable), 0 = header
    17-76  short description
    78-    long description, to the end of the line
    6, 14, 16 and 77 are blank.

The file is the whole official release (a code missing from it is invalid) when `full` says so
(`--full`/`--partial`), else when it has the official file's size and sections: at least 70,000 valid
codes (the FY2026 file has about 79,000) in all 17 sections (0-9, B, C, D, F, G, H, X). The release
covers the fiscal year in the file name (icd10pcs_order_2026.txt: 2025-10-01 to 2026-09-30)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from sqlalchemy.orm import Session

from consultant.codes.importers.base import (
    CodeRow, Coverage, ImportFormatError, ImportReport, official_file, read_lines, sync_codes,
)
from consultant.codes.releases import fiscal_year

SYSTEM = "pcs"
_CODE = re.compile(r"[0-9A-HJ-NP-Z]{3,7}")  # PCS uses neither I nor O
_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")


OFFICIAL_MINIMUM = 70_000
SECTIONS = "0123456789BCDFGHX"


def load(session: Session, path: Path, version: str | None = None, full: bool | None = None) -> ImportReport:
    rows = parse(path)
    version = version or default_version(path)
    return sync_codes(session, SYSTEM, rows, source=path.name, version=version,
                      coverage=coverage_of(path, version, rows, full))


def coverage_of(path: Path, version: str, rows: list[CodeRow], full: bool | None = None) -> Coverage:
    is_full, basis = official_file(full, (r.code for r in rows if r.kind == "billable"), OFFICIAL_MINIMUM, SECTIONS,
                                   "valid codes")
    year = _YEAR.search(path.name) or _YEAR.search(version)
    start, end = fiscal_year(int(year.group(1))) if year else (None, None)
    return Coverage(full=is_full, valid_from=start, valid_to=end, basis=basis)


def default_version(path: Path) -> str:
    year = _YEAR.search(path.name)
    return f"ICD-10-PCS {year.group(1)}" if year else "ICD-10-PCS"


def parse(path: Path) -> list[CodeRow]:
    """Every row of the file; ImportFormatError names the first line that is not in the layout."""
    rows: dict[str, CodeRow] = {}
    seen_on: dict[str, int] = {}
    lines = read_lines(path)
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            row = _row(text)
        except ValueError as exc:
            raise ImportFormatError(number, str(exc), source=path.name) from None
        if row.code in seen_on:
            raise ImportFormatError(number, f"code {row.code} repeats line {seen_on[row.code]}", source=path.name)
        rows[row.code], seen_on[row.code] = row, number
    if not rows:
        raise ImportFormatError(max(len(lines), 1), "no codes: not an ICD-10-PCS order file", source=path.name)
    return [_with_parent(row, rows) for row in rows.values()]


def _row(text: str) -> CodeRow:
    if len(text) < 78:
        raise ValueError(f"{len(text)} characters; the long description starts at column 78")
    if text[5] + text[13] + text[15] + text[76] != "    ":
        raise ValueError("columns 6, 14, 16 and 77 must be blank")
    order, code, valid = text[0:5], text[6:13].rstrip(), text[14]
    short, long = text[16:76].strip(), text[77:].strip()
    if not order.isdigit():
        raise ValueError(f"order number {order!r} is not 5 digits")
    if not _CODE.fullmatch(code):
        raise ValueError(f"{code!r} is not an ICD-10-PCS code")
    if valid not in ("0", "1"):
        raise ValueError(f"valid-for-HIPAA flag {valid!r} is neither 0 nor 1")
    if valid == "1" and len(code) != 7:
        raise ValueError(f"{code} is flagged billable but has {len(code)} characters, not 7")
    if not short or not long:
        raise ValueError(f"{code} has no {'short' if not short else 'long'} description")
    return CodeRow(code=code, descriptor=long, short_descriptor=short, kind="billable" if valid == "1" else "header")


def _with_parent(row: CodeRow, rows: dict[str, CodeRow]) -> CodeRow:
    """A code's parent is the longest shorter code in the file that starts it (the 3-character table)."""
    for size in range(len(row.code) - 1, 2, -1):
        if row.code[:size] in rows:
            return replace(row, parent=row.code[:size])
    return row
