"""CPT from a licensee's AMA data file: a code, a TAB and its descriptor on each line. The AMA ships
one file per descriptor length (LONGULT: long, MEDU: medium, SHORTU: short); one is imported at a time.
Lines before the first code (the AMA's copyright notice, a column header) are skipped; after it every
line must be a code. A file of two-character codes (25, 59, P1) is a modifier file.

The long descriptor fills `descriptor`; a medium or short one fills `short_descriptor` and keeps the
long descriptor an earlier long file gave (the code's descriptor until then). CPT text belongs to the
AMA: it lives in the licensee's database only, never in this repository.

A licensee's file is a source of descriptors: it never defines which CPT codes exist (it may hold only
the codes a practice uses), so its release is never full and a CPT code missing from it is "not in
the loaded CPT file", never invalid. Its release covers the CPT year it names (CPT 2026: 2026)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.codes.importers.base import CodeRow, Coverage, ImportFormatError, ImportReport, read_lines, sync_codes
from consultant.codes.models import CatalogCode
from consultant.codes.releases import calendar_year

SYSTEM, MODIFIERS = "cpt", "modifier"
OWNED = {"set": "cpt"}  # the modifier rows this file answers for (HCPCS modifiers come from the ANWEB file)
CATEGORIES = {"I": re.compile(r"[0-9]{5}"), "II": re.compile(r"[0-9]{4}F"),
              "III": re.compile(r"[0-9]{4}T"), "PLA": re.compile(r"[0-9]{4}U")}
_MODIFIER = re.compile(r"[0-9][0-9A-Z]|P[1-6]")
_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
_CPT_YEAR = re.compile(r"\bCPT\W{0,3}(20\d\d)(?!\d)", re.IGNORECASE)


NEVER_FULL = "a licensee's CPT file is a source of descriptors; it never defines which CPT codes exist"


def load(session: Session, path: Path, version: str | None = None, full: bool | None = None) -> ImportReport:
    if full:
        raise ValueError(f"--full: {NEVER_FULL}")
    system, rows, header = parse(path)
    rows = _keep_other_length(session, system, rows, variant(path))
    version = version or default_version(path, header)
    return sync_codes(session, system, rows, source=path.name, version=version,
                      owned=OWNED if system == MODIFIERS else None, coverage=coverage_of(version))


def coverage_of(version: str) -> Coverage:
    year = _YEAR.search(version)
    start, end = calendar_year(int(year.group(1))) if year else (None, None)
    return Coverage(full=False, valid_from=start, valid_to=end, basis=NEVER_FULL)


def variant(path: Path) -> str:
    """Which descriptor the file holds, from the AMA's file names: SHORTU, MEDU, else long."""
    name = path.name.upper()
    return "short" if "SHORT" in name else "medium" if "MED" in name else "long"


def default_version(path: Path, header: list[str]) -> str:
    year = _YEAR.search(path.name) or next(filter(None, map(_CPT_YEAR.search, header)), None)
    return f"CPT {year.group(1)} (licensed file)" if year else "CPT (licensed file)"


def parse(path: Path) -> tuple[str, list[CodeRow], list[str]]:
    """(system, rows, the skipped header lines); ImportFormatError names the first bad line."""
    system: str | None = None
    rows: dict[str, CodeRow] = {}
    seen_on: dict[str, int] = {}
    header: list[str] = []
    lines = read_lines(path)
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        first = text.split("\t", 1)[0].strip()
        if system is None and _shape(first) is None and not first[:1].isdigit():
            header.append(text)
            continue
        try:
            row = _row(text, system)
        except ValueError as exc:
            raise ImportFormatError(number, str(exc), source=path.name) from None
        if row.code in seen_on:
            raise ImportFormatError(number, f"{row.code} repeats line {seen_on[row.code]}", source=path.name)
        system = system or (MODIFIERS if row.kind == "modifier" else SYSTEM)
        rows[row.code], seen_on[row.code] = row, number
    if system is None:
        raise ImportFormatError(max(len(lines), 1), "no codes: expected lines of code TAB descriptor",
                                source=path.name)
    return system, list(rows.values()), header


def _shape(code: str) -> str | None:
    """"I", "II", "III", "PLA" for a code, "modifier" for a modifier, None for anything else."""
    if _MODIFIER.fullmatch(code):
        return "modifier"
    return next((name for name, pattern in CATEGORIES.items() if pattern.fullmatch(code)), None)


def _row(text: str, system: str | None) -> CodeRow:
    fields = text.split("\t")
    if len(fields) != 2:
        raise ValueError(f"{len(fields)} TAB-separated fields; expected code TAB descriptor")
    code, descriptor = fields[0].strip(), fields[1].strip()
    shape = _shape(code)
    if shape is None:
        raise ValueError(f"{code!r} is not a CPT code (5 digits, or 4 digits and F, T or U) or modifier")
    if system is not None and (shape == "modifier") != (system == MODIFIERS):
        raise ValueError(f"{code} in a file of {'modifiers' if system == MODIFIERS else 'codes'}")
    if not descriptor:
        raise ValueError(f"{code} has no descriptor")
    if shape == "modifier":
        return CodeRow(code=code, descriptor=descriptor, kind="modifier", attributes=dict(OWNED))
    return CodeRow(code=code, descriptor=descriptor, attributes={"category": shape})


def _keep_other_length(session: Session, system: str, rows: list[CodeRow], length: str) -> list[CodeRow]:
    """A long file keeps the short descriptor already stored; a short or medium file keeps the long one."""
    current = {r.code: r for r in session.execute(
        select(CatalogCode.code, CatalogCode.descriptor, CatalogCode.short_descriptor, CatalogCode.attributes)
        .where(CatalogCode.system == system))}
    merged = []
    for row in rows:
        old = current.get(row.code)
        if length == "long":
            short = old.short_descriptor if old is not None and _from_cpt(old.attributes) else None
            merged.append(replace(row, short_descriptor=short,
                                  attributes={**row.attributes, "descriptor_from": "long"}))
            continue
        long_kept = old is not None and _from_cpt(old.attributes) and old.attributes.get("descriptor_from") == "long"
        merged.append(replace(row, descriptor=old.descriptor if long_kept else row.descriptor,
                              short_descriptor=row.descriptor,
                              attributes={**row.attributes, "descriptor_from": "long" if long_kept else length}))
    return merged


def _from_cpt(attributes: dict | None) -> bool:
    """Not an HCPCS modifier row of the same code: its text is no CPT descriptor."""
    return (attributes or {}).get("set", "cpt") == "cpt"
