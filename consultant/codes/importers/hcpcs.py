"""HCPCS Level II codes and modifiers from the CMS quarterly ANWEB file (HCPC2026_JAN_ANWEB.txt):
320-character records as CMS's HCPC<YYYY>_recordlayout.txt describes them (columns are 1-based):

    1-5      code; a modifier sits in 4-5 with 1-3 blank
    6-10     sequence number
    11       record id: 3 = procedure, 4 = more of its long description, 7 = modifier, 8 = more of its
    12-91    long description (continuation records carry the rest of it and nothing after column 91)
    92-119   short description          120-127  pricing indicators, up to four of 2 characters
    230      coverage code              257-259  BETOS code
    269-276  code added date            277-284  action effective date
    285-292  termination date           293      action code
Dates are YYYYMMDD or blank; records may come with their trailing blanks trimmed.

The file is the whole official release of HCPCS Level II (a code missing from it is invalid) when
`full` says so (`--full`/`--partial`), else when it has the official file's size and sections: at least
5,000 procedure codes (CMS's file has several thousand more) with codes in every section A, B, C, E, G,
H, J, K, L, M, P, Q, R, S, T and V. The release covers the quarter in the CMS file name
(HCPC2026_JAN_ANWEB.txt: 2026-01-01 to 2026-03-31); otherwise its dates are not stated. Modifiers
are never a full set here: CPT modifiers come from the AMA's file."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from consultant.codes.importers.base import (
    CodeRow, Coverage, ImportFormatError, ImportReport, official_file, read_lines, sync_codes,
)
from consultant.codes.releases import quarter

SYSTEM, MODIFIERS = "hcpcs", "modifier"
OWNED = {"set": "hcpcs"}  # the modifier rows this file answers for (CPT modifiers come from the AMA's file)
RECORD = 320
_PROCEDURE = re.compile(r"[A-Z][0-9]{4}")
_MODIFIER = re.compile(r"[0-9A-Z]{2}")
_FILE_NAME = re.compile(r"HCPC(20\d\d)(?:_(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC))?", re.IGNORECASE)
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


OFFICIAL_MINIMUM = 5_000
SECTIONS = "ABCEGHJKLMPQRSTV"


def load(session: Session, path: Path, version: str | None = None, full: bool | None = None) -> ImportReport:
    """Procedures go to "hcpcs", modifiers to "modifier" (each with its own release row). The report
    adds both up and names the procedures' release."""
    procedures, modifiers = parse(path)
    name = version or default_version(path, procedures + modifiers)
    coverage = coverage_of(path, procedures, full)
    report = sync_codes(session, SYSTEM, procedures, source=path.name, version=name, coverage=coverage)
    if not modifiers:
        return report
    more = sync_codes(session, MODIFIERS, modifiers, source=path.name, version=name, owned=OWNED,
                      coverage=Coverage(valid_from=coverage.valid_from, valid_to=coverage.valid_to))
    return replace(report, added=report.added + more.added, changed=report.changed + more.changed,
                   removed=report.removed + more.removed, rows=report.rows + more.rows)


def coverage_of(path: Path, procedures: list[CodeRow], full: bool | None = None) -> Coverage:
    is_full, basis = official_file(full, (r.code for r in procedures), OFFICIAL_MINIMUM, SECTIONS, "procedure codes")
    named = _FILE_NAME.search(path.name)
    start, end = (None, None)
    if named and named.group(2):
        start, end = quarter(int(named.group(1)), _MONTHS.index(named.group(2).upper()) // 3 + 1)
    return Coverage(full=is_full, valid_from=start, valid_to=end, basis=basis)


def default_version(path: Path, rows: list[CodeRow]) -> str:
    """"HCPCS 2026 Q1" from HCPC2026_JAN_ANWEB.txt; else from the latest action effective date inside."""
    named = _FILE_NAME.search(path.name)
    if named and named.group(2):
        return f"HCPCS {named.group(1)} Q{_MONTHS.index(named.group(2).upper()) // 3 + 1}"
    if named:
        return f"HCPCS {named.group(1)}"
    actions = [row.attributes["action_effective_date"] for row in rows if "action_effective_date" in row.attributes]
    if not actions:
        return "HCPCS"
    latest = date.fromisoformat(max(actions))
    return f"HCPCS {latest.year} Q{(latest.month - 1) // 3 + 1}"


def parse(path: Path) -> tuple[list[CodeRow], list[CodeRow]]:
    """(procedures, modifiers); ImportFormatError names the first record that is not in the layout."""
    found: dict[tuple[str, str], tuple[int, CodeRow, list[str]]] = {}
    last: tuple[str, str] | None = None
    lines = read_lines(path)
    for number, line in enumerate(lines, start=1):
        text = line.rstrip()
        if not text:
            continue
        try:
            system, code, record_id, record = _record(text)
            if record_id in "48":
                if last != (system, code):
                    raise ValueError(f"continuation of {code} does not follow its first record")
                found[last][2].append(record[11:91].strip())
                continue
            if (system, code) in found:
                raise ValueError(f"{code} repeats line {found[(system, code)][0]}")
            last = (system, code)
            found[last] = (number, _first(system, code, record), [record[11:91].strip()])
        except ValueError as exc:
            raise ImportFormatError(number, str(exc), source=path.name) from None
    rows = [(system, replace(row, descriptor=" ".join(p for p in parts if p)))
            for (system, _), (_, row, parts) in found.items()]
    procedures = [row for system, row in rows if system == SYSTEM]
    if not procedures:
        raise ImportFormatError(max(len(lines), 1), "no procedure records (record id 3): not an ANWEB file",
                                source=path.name)
    return procedures, [row for system, row in rows if system == MODIFIERS]


def _record(text: str) -> tuple[str, str, str, str]:
    """(system, code, record id, the record padded to 320 characters)."""
    if len(text) > RECORD:
        raise ValueError(f"{len(text)} characters; records are {RECORD}")
    if len(text) < 12:
        raise ValueError(f"{len(text)} characters; code, sequence number and record id fill columns 1-11")
    record = text.ljust(RECORD)
    record_id, sequence = record[10], record[5:10]
    if record_id not in "3478":
        raise ValueError(f"record id {record_id!r} in column 11 is not 3, 4, 7 or 8")
    if not sequence.isdigit():
        raise ValueError(f"sequence number {sequence!r} in columns 6-10 is not 5 digits")
    if record_id in "34":
        if not _PROCEDURE.fullmatch(record[0:5]):
            raise ValueError(f"{record[0:5]!r} is not a HCPCS Level II code (a letter and 4 digits)")
        return SYSTEM, record[0:5], record_id, record
    if record[0:3].strip() or not _MODIFIER.fullmatch(record[3:5]):
        raise ValueError(f"{record[0:5]!r} is not a modifier (2 characters in columns 4-5, 1-3 blank)")
    return MODIFIERS, record[3:5], record_id, record


def _first(system: str, code: str, record: str) -> CodeRow:
    added = _date(record[268:276], "code added date (269-276)")
    action = _date(record[276:284], "action effective date (277-284)")
    terminated = _date(record[284:292], "termination date (285-292)")
    if not record[11:91].strip():
        raise ValueError(f"{code} has no long description (columns 12-91)")
    attributes: dict = {
        "coverage_code": record[229].strip(),
        "betos": record[256:259].strip(),
        "action_code": record[292].strip(),
        "action_effective_date": action.isoformat() if action else "",
        "pricing_indicators": [record[i:i + 2] for i in range(119, 127, 2) if record[i:i + 2].strip()],
    }
    attributes = {key: value for key, value in attributes.items() if value}
    if system == MODIFIERS:
        attributes.update(OWNED)
    return CodeRow(code=code, descriptor="", kind="modifier" if system == MODIFIERS else "billable",
                   short_descriptor=record[91:119].strip() or None, effective_date=added or action,
                   deletion_date=terminated, attributes=attributes)


def _date(field: str, name: str) -> date | None:
    if not field.strip():
        return None
    try:
        if not field.isdigit():
            raise ValueError
        return date(int(field[0:4]), int(field[4:6]), int(field[6:8]))
    except ValueError:
        raise ValueError(f"{name} {field!r} is not a YYYYMMDD date") from None
