"""Medically Unlikely Edits from the CMS quarterly MUE tables: practitioner, outpatient hospital, DME.

CMS publishes each table as CSV (and Excel) inside a zip, e.g.
`MCR_MUE_PractitionerServices_Eff_01-01-2026.csv`; a tab-delimited export of it reads the same. The
table opens with a preamble (a quoted, multi-line AMA copyright notice in the CSV), then the header,
whose value column names the setting and whose first cell may be wrapped ("HCPCS/<newline>CPT Code"):

    HCPCS/CPT Code, Practitioner Services MUE Values, MUE Adjudication Indicator, MUE Rationale
    11102, 1, 2 Date of Service Edit: Policy, Clinical: Data

(the value column is "Outpatient Hospital Services MUE Values" or "DME Supplier Services MUE Values" in
the other tables). The indicator cell starts with the MUE adjudication indicator: 1 line edit, 2 date
of service edit: policy, 3 date of service edit: clinical.

A table is a snapshot of one quarter. When its effective date is known (argument, file name or
preamble), a newer table keeps history: a code whose limit changed gets a new row from that date and
the old row a deletion date; a code no longer listed gets a deletion date. Without dates, rows are
updated in place and codes no longer listed are removed.

A table's release covers the quarter it takes effect in (Eff_01-01-2026: 2026-01-01 to 2026-03-31); the
history kept from earlier tables covers theirs. Without an effective date its dates are not stated."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from consultant.codes.importers.base import Coverage, ImportFormatError, ImportReport, chunks, new_release, read_lines
from consultant.codes.meanings import ADJUDICATION_INDICATORS
from consultant.codes.models import CatalogChange, MueLimit
from consultant.codes.releases import quarter_of

SYSTEM = "mue"
SETTINGS = ("practitioner", "outpatient-hospital", "dme")
SETTING_NAMES = {"practitioner": "practitioner", "outpatient-hospital": "outpatient hospital", "dme": "DME supplier"}
TRACKED = ("value", "adjudication_indicator", "rationale")

_CODE = re.compile(r"[0-9A-Z]{5}")
_INDICATOR = re.compile(r"([123])(?:\s+(.*))?", re.DOTALL)
_EFFECTIVE = re.compile(
    r"eff(?:ective)?[\s_-]*(?:date[\s:_-]*)?([01]?[0-9])[-/_.]([0-3]?[0-9])[-/_.]((?:19|20)[0-9]{2})", re.IGNORECASE)
_QUARTER = re.compile(r"(20[0-9]{2})[-_ ]?q([1-4])(?![0-9])", re.IGNORECASE)
_BATCH = 5000


@dataclass(frozen=True)
class MueRow:
    code: str
    value: int
    adjudication_indicator: int
    rationale: str
    line: int = 0


@dataclass(frozen=True)
class MueTable:
    setting: str | None
    rows: list[MueRow]
    preamble: list[str]


def parse(lines: list[str], source: str = "") -> MueTable:
    """Every row of one table, or ImportFormatError on the first record that is not in the layout."""
    delimiter = "\t" if sum(line.count("\t") for line in lines) > sum(line.count(",") for line in lines) // 2 else ","
    reader = csv.reader((line + "\n" for line in lines), delimiter=delimiter)
    preamble: list[str] = []
    columns: dict[str, int] | None = None
    setting: str | None = None
    rows: dict[str, MueRow] = {}
    last = 0
    for record in reader:
        number, last = last + 1, reader.line_num  # a quoted cell may span lines: report where it starts
        cells = [" ".join(c.split()) for c in record]
        if not any(cells):
            continue
        if columns is None:
            if _squeeze(cells[0]) == "hcpcs/cptcode":
                columns, setting = _header(number, cells, source)
            elif _CODE.fullmatch(cells[0]) and len(cells) > 2:
                raise ImportFormatError(number, "data row before the 'HCPCS/CPT Code' header", source)
            else:
                preamble.append(" ".join(c for c in cells if c))
            continue
        row = _row(number, cells, columns, source)
        seen = rows.get(row.code)
        if seen is not None:
            if (seen.value, seen.adjudication_indicator, seen.rationale) != (
                    row.value, row.adjudication_indicator, row.rationale):
                raise ImportFormatError(number, f"code {row.code} differs from line {seen.line}", source)
            continue
        rows[row.code] = row
    if columns is None:
        raise ImportFormatError(last or 1, "no 'HCPCS/CPT Code' header: not a CMS MUE table", source)
    if not rows:
        raise ImportFormatError(last, "no rows after the header", source)
    return MueTable(setting, list(rows.values()), preamble)


def _squeeze(text: str) -> str:
    return "".join(text.split()).lower()


def _header(number: int, cells: list[str], source: str) -> tuple[dict[str, int], str | None]:
    squeezed = [_squeeze(c) for c in cells]
    columns: dict[str, int] = {"code": 0}
    setting = None
    for index, name in enumerate(squeezed):
        if name.endswith("muevalues"):
            columns["value"] = index
            setting = ("practitioner" if "practitioner" in name else
                       "outpatient-hospital" if "hospital" in name or "outpatient" in name or "facility" in name else
                       "dme" if "dme" in name or "supplier" in name else None)
        elif "adjudicationindicator" in name:
            columns["indicator"] = index
        elif "rationale" in name:
            columns["rationale"] = index
    missing = [n for n in ("value", "indicator", "rationale") if n not in columns]
    if missing:
        wanted = {"value": "... MUE Values", "indicator": "MUE Adjudication Indicator", "rationale": "MUE Rationale"}
        raise ImportFormatError(number, "header lacks " + ", ".join(repr(wanted[m]) for m in missing), source)
    return columns, setting


def _row(number: int, cells: list[str], columns: dict[str, int], source: str) -> MueRow:
    def cell(name: str) -> str:
        index = columns[name]
        return cells[index] if index < len(cells) else ""

    def fail(reason: str) -> ImportFormatError:
        return ImportFormatError(number, reason, source)

    width = max(columns.values()) + 1
    if len(cells) < width or any(cells[width:]):
        raise fail(f"{len([c for c in cells if c])} fields, expected {width} (code, MUE value, "
                   f"adjudication indicator, rationale)")
    code = cell("code").upper()
    if not _CODE.fullmatch(code):
        raise fail(f"code {cell('code')!r} is not a 5-character CPT/HCPCS code")
    value = cell("value")
    if not value.isdigit():
        raise fail(f"MUE value {value!r} is not a whole number")
    indicator = _INDICATOR.fullmatch(cell("indicator"))
    if indicator is None:
        raise fail(f"adjudication indicator {cell('indicator')!r} does not start with 1, 2 or 3")
    mai = int(indicator.group(1))
    described = (indicator.group(2) or "").lower()
    if described and _squeeze(described) != _squeeze(ADJUDICATION_INDICATORS[mai]):
        raise fail(f"adjudication indicator {cell('indicator')!r}: {mai} is "
                   f"'{ADJUDICATION_INDICATORS[mai]}'")
    rationale = cell("rationale")
    if not rationale:
        raise fail("MUE rationale is empty")
    return MueRow(code, int(value), mai, rationale, number)


def setting_of(file_name: str, from_header: str | None, given: str | None = None) -> str:
    """The header's value column names the setting; the argument and file name must agree with it."""
    name = _squeeze(file_name).replace("_", "").replace("-", "")
    from_name = ("practitioner" if "practitioner" in name else
                 "outpatient-hospital" if "hospital" in name or "outpatient" in name else
                 "dme" if "dme" in name else None)
    if given is not None and given not in SETTINGS:
        raise ValueError(f"setting {given!r}: one of {', '.join(SETTINGS)}")
    named = [s for s in (from_header, given, from_name) if s]
    if not named:
        raise ImportFormatError(0, "cannot tell which MUE table this is: give the setting", file_name)
    if len(set(named)) > 1:
        raise ImportFormatError(0, f"the table is for {named[0]}, not {next(s for s in named if s != named[0])}",
                                file_name)
    return named[0]


def effective_date_of(file_name: str, preamble: list[str]) -> date | None:
    """From "Eff_01-01-2026" / "effective 01/01/2026" or "2026-q1" in the file name, else the preamble."""
    for text in (file_name, *preamble):
        match = _EFFECTIVE.search(text)
        if match:
            month, day, year = (int(g) for g in match.groups())
            try:
                return date(year, month, day)
            except ValueError:
                continue
        match = _QUARTER.search(text)
        if match:
            return date(int(match.group(1)), 3 * int(match.group(2)) - 2, 1)
    return None


def version_of(setting: str, effective: date | None, file_name: str) -> str:
    if effective is not None:
        return f"MUE {SETTING_NAMES[setting]} {effective.year} Q{(effective.month - 1) // 3 + 1}"
    return f"MUE {SETTING_NAMES[setting]} ({Path(file_name).stem[:30]})"


def load(session: Session, path: Path, version: str | None = None, *, setting: str | None = None,
         effective_date: date | None = None) -> ImportReport:
    """Parse the whole table, then bring the setting's limits in line with it in the caller's transaction."""
    path = Path(path)
    table = parse(read_lines(path), source=path.name)
    setting = setting_of(path.name, table.setting, setting)
    effective = effective_date or effective_date_of(path.name, table.preamble)
    version = version or version_of(setting, effective, path.name)
    source = f"CMS MUE table, {SETTING_NAMES[setting]} ({path.name})"[:300]
    return sync_limits(session, setting, table.rows, source=source, version=version, effective=effective)


def sync_limits(session: Session, setting: str, rows: list[MueRow], *, source: str, version: str,
                effective: date | None) -> ImportReport:
    current = {r.code: r for r in session.execute(
        select(MueLimit.id, MueLimit.code, MueLimit.effective_date, *[getattr(MueLimit, f) for f in TRACKED])
        .where(MueLimit.setting == setting, MueLimit.deletion_date.is_(None)))}
    if effective is not None:
        later = sorted({r.effective_date for r in current.values()
                        if r.effective_date and r.effective_date > effective})
        if later:
            raise ValueError(f"the loaded {SETTING_NAMES[setting]} MUE table is effective {later[-1]}, "
                             f"later than this one ({effective}); import newer tables only")
    coverage = Coverage(full=True, valid_from=effective, valid_to=quarter_of(effective)[1] if effective else None,
                        setting=setting, basis="a whole table")
    release = new_release(session, SYSTEM, source, version, coverage)
    record_changes = bool(current)
    new_rows: list[dict] = []
    in_place: list[dict] = []
    closed: list[int] = []
    kept: list[int] = []
    changes: list[dict] = []
    for row in rows:
        old = current.pop(row.code, None)
        values = {f: getattr(row, f) for f in TRACKED}
        fresh = {"setting": setting, "code": row.code, "effective_date": effective, "deletion_date": None,
                 "release_id": release.id, **values}
        if old is None:
            new_rows.append(fresh)
            changes.append(_change(release.id, row.code, "added"))
            continue
        moved = [f for f in TRACKED if getattr(old, f) != values[f]]
        if not moved:
            kept.append(old.id)
            continue
        changes += [_change(release.id, row.code, "changed", f, getattr(old, f), values[f]) for f in moved]
        if effective is not None and (old.effective_date is None or old.effective_date < effective):
            closed.append(old.id)  # history: the old limit applies to dates of service before this table
            new_rows.append(fresh)
        else:
            in_place.append({"id": old.id, "release_id": release.id, **values})
    gone = list(current.values())
    changes += [_change(release.id, r.code, "removed") for r in gone]
    # a code no longer listed: closed from this table's date; deleted when no dates are known or when
    # the same table is imported again
    dropped = [r.id for r in gone if effective is None or r.effective_date == effective]
    ended = [r.id for r in gone if not (effective is None or r.effective_date == effective)]
    for ids in chunks(dropped, 500):
        session.execute(delete(MueLimit).where(MueLimit.id.in_(ids)))
    for ids in chunks(ended, 500):
        session.execute(update(MueLimit).where(MueLimit.id.in_(ids)).values(deletion_date=effective))
    for ids in chunks(closed, 500):
        session.execute(update(MueLimit).where(MueLimit.id.in_(ids)).values(deletion_date=effective))
    for ids in chunks(kept, 500):
        session.execute(update(MueLimit).where(MueLimit.id.in_(ids)).values(release_id=release.id))
    for batch in chunks(in_place, _BATCH):
        session.execute(update(MueLimit), batch)
    for batch in chunks(new_rows, _BATCH):
        session.execute(insert(MueLimit), batch)
    if record_changes:
        for batch in chunks(changes, _BATCH):
            session.execute(insert(CatalogChange), batch)
    added = sum(1 for c in changes if c["change"] == "added")
    changed = len({c["code"] for c in changes if c["change"] == "changed"})
    release.added, release.changed, release.removed = added, changed, len(gone)
    session.flush()
    return ImportReport(SYSTEM, source, version, release.id, added, changed, len(gone), len(rows),
                        coverage.full, coverage.dates(), coverage.basis)


def _change(release_id: int, code: str, change: str, field_name: str | None = None, old=None, new=None) -> dict:
    return {"release_id": release_id, "system": SYSTEM, "code": code, "change": change, "field": field_name,
            "old": None if old is None else str(old), "new": None if new is None else str(new)}
