"""NCCI procedure-to-procedure (PTP) edits from the CMS quarterly files, practitioner and hospital.

CMS publishes each setting as zips of tab-delimited .txt parts named like `ccipra-v321r0-f1.txt`
(practitioner, version 32.1, revision 0, part 1; `ccioph-` is the outpatient hospital file). A part
opens with a preamble and a header that is either one row or, as shipped, wrapped over four:

    CPT only copyright 2025 American Medical Association.  All rights reserved.
    Column1/Column2 Edits
    Column 1<TAB>Column 2<TAB>*=in existence<TAB>Effective<TAB>Deletion<TAB>Modifier<TAB>PTP Edit Rationale
    <TAB><TAB>prior to 1996<TAB>Date<TAB>Date<TAB>0=not allowed<TAB>
    <TAB><TAB><TAB><TAB>*=no data<TAB>1=allowed<TAB>
    <TAB><TAB><TAB><TAB><TAB>9=not applicable<TAB>

then one edit a line: column 1 code, column 2 code, "*" when the edit existed before 1996, effective
date YYYYMMDD, deletion date YYYYMMDD or "*" (none), modifier indicator 0/1/9, rationale. Deleted
edits stay in the file, and a pair may appear once per effective date.

A whole file replaces the setting's edits. A part file (`-f2`) replaces the edits that came from
that part before and those of the column 1 codes it holds, so importing the four parts one after
another leaves the other parts' edits alone.

A file carries its edits' history (deleted edits stay, with their deletion dates), so its release
covers every date of service up to the end of the quarter it was published for: version 32.1 is
2026 Q2 (CMS numbers versions from 1994: v31.2 took effect on 2025-07-01, v31.3 on 2025-10-01), so it
covers dates through 2026-06-30. Without a version or quarter in the name, its dates are not stated."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from consultant.codes.importers.base import Coverage, ImportFormatError, ImportReport, chunks, new_release, read_lines
from consultant.codes.models import CatalogChange, CatalogRelease, NcciEdit
from consultant.codes.releases import quarter

SYSTEM = "ncci-ptp"
SETTINGS = ("practitioner", "hospital")
MODIFIER_INDICATORS = {
    "0": "not allowed: no modifier bypasses the edit",
    "1": "allowed with an appropriate modifier",
    "9": "not applicable (edit deleted)",
}
TRACKED = ("deletion_date", "modifier_indicator", "rationale")

# the header's seven columns, each read from its rows joined: what each must mention
_HEADER = (("column 1",), ("column 2",), ("1996",), ("effective",), ("deletion",), ("modifier",), ("rationale",))
_CODE = re.compile(r"[0-9A-Z]{5}")
_YMD = re.compile(r"[0-9]{8}")
_FILE_VERSION = re.compile(r"(?<![a-z0-9])v([0-9]{2})([0-9])(?:r([0-9]+))?(?![0-9])", re.IGNORECASE)
_VERSION_NAME = re.compile(r"(?<![a-z0-9])v([0-9]{2})\.([0-9])(?![0-9])", re.IGNORECASE)  # "NCCI PTP v32.1"
_QUARTER = re.compile(r"(20[0-9]{2})[-_ ]?q([1-4])(?![0-9])", re.IGNORECASE)
_PART = re.compile(r"[-_]f([0-9]+)(?:\.[a-z]+)?$", re.IGNORECASE)
_BATCH = 5000


@dataclass(frozen=True)
class PtpEdit:
    column1: str
    column2: str
    effective_date: date
    deletion_date: date | None
    modifier_indicator: str
    rationale: str
    prior_1996: bool = False
    line: int = 0

    @property
    def key(self) -> tuple[str, str, date]:
        return self.column1, self.column2, self.effective_date


@dataclass(frozen=True)
class PtpFile:
    edits: list[PtpEdit]
    preamble: list[str]


def parse(lines: list[str], source: str = "") -> PtpFile:
    """Every edit of one file, or ImportFormatError on the first line that is not in the layout."""
    preamble: list[str] = []
    header: list[tuple[int, list[str]]] = []
    edits: dict[tuple[str, str, date], PtpEdit] = {}
    for number, line in enumerate(lines, start=1):
        fields = line.split("\t")
        if not line.strip():
            continue
        if not header:
            if fields[0].strip().lower() == "column 1":
                header.append((number, fields))
            elif len(fields) > 1 and _CODE.fullmatch(fields[0].strip()):
                raise ImportFormatError(number, "edit row before the 'Column 1<TAB>Column 2' header", source)
            else:
                preamble.append(line.strip())
            continue
        if not edits and not fields[0].strip():
            header.append((number, fields))  # the header wrapped onto another row
            continue
        if not edits:
            _check_header(header, source)
        edit = _edit(number, fields, source)
        seen = edits.get(edit.key)
        if seen is not None:
            if (seen.deletion_date, seen.modifier_indicator, seen.rationale) != (
                    edit.deletion_date, edit.modifier_indicator, edit.rationale):
                raise ImportFormatError(number, f"edit {edit.column1}/{edit.column2} effective "
                                                f"{edit.effective_date:%Y%m%d} differs from line {seen.line}", source)
            continue
        edits[edit.key] = edit
    if not header:
        raise ImportFormatError(len(lines) or 1, "no 'Column 1<TAB>Column 2' header: not an NCCI PTP edit file", source)
    if not edits:
        raise ImportFormatError(len(lines), "no edits after the header", source)
    return PtpFile(list(edits.values()), preamble)


def _check_header(rows: list[tuple[int, list[str]]], source: str) -> None:
    columns = [" ".join(r[i].strip() for _, r in rows if i < len(r) and r[i].strip()).lower()
               for i in range(len(_HEADER))]
    for position, (words, text) in enumerate(zip(_HEADER, columns), start=1):
        if not all(w in text for w in words):
            raise ImportFormatError(rows[0][0], f"header column {position} is {text!r}, expected {words[0]!r}", source)


def _edit(number: int, fields: list[str], source: str) -> PtpEdit:
    def fail(reason: str) -> ImportFormatError:
        return ImportFormatError(number, reason, source)

    cells = [f.strip() for f in fields]
    while len(cells) > 7 and not cells[-1]:
        cells.pop()
    if len(cells) not in (6, 7):
        raise fail(f"{len(cells)} tab-separated fields, expected 7 (column 1, column 2, prior-1996 flag, "
                   f"effective date, deletion date, modifier indicator, rationale)")
    column1, column2, prior, effective, deletion, modifier = (c.upper() for c in cells[:6])
    rationale = cells[6] if len(cells) == 7 else ""
    for name, code in (("column 1", column1), ("column 2", column2)):
        if not _CODE.fullmatch(code):
            raise fail(f"{name} code {code!r} is not a 5-character CPT/HCPCS code")
    if prior not in ("", "*"):
        raise fail(f"prior-1996 flag {prior!r} is neither '*' nor empty")
    effective_date = _date(effective, "effective date", fail)
    deletion_date = None if deletion in ("*", "") else _date(deletion, "deletion date", fail)
    if deletion_date is not None and deletion_date < effective_date:
        raise fail(f"deletion date {deletion} is before effective date {effective}")
    if modifier not in MODIFIER_INDICATORS:
        raise fail(f"modifier indicator {modifier!r} is not 0, 1 or 9")
    return PtpEdit(column1, column2, effective_date, deletion_date, modifier, rationale, prior == "*", number)


def _date(text: str, name: str, fail) -> date:
    if not _YMD.fullmatch(text):
        raise fail(f"{name} {text!r} is not YYYYMMDD")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise fail(f"{name} {text!r} is not a calendar date") from None


def setting_of(file_name: str, preamble: list[str], given: str | None = None) -> str:
    """The setting named by the argument, else by the file name (ccipra/ccioph), else by the preamble;
    an argument that contradicts the file name is refused."""
    name = file_name.lower()
    from_name = ("practitioner" if "ccipra" in name or "practitioner" in name else
                 "hospital" if "ccioph" in name or "hospital" in name or "outpatient" in name else None)
    if given is not None:
        if given not in SETTINGS:
            raise ValueError(f"setting {given!r}: one of {', '.join(SETTINGS)}")
        if from_name and from_name != given:
            raise ImportFormatError(0, f"the file name says {from_name}, the setting given is {given}", file_name)
        return given
    if from_name:
        return from_name
    text = " ".join(preamble).lower()
    found = [s for s in SETTINGS if s in text]
    if len(found) == 1:
        return found[0]
    raise ImportFormatError(0, "cannot tell practitioner from hospital edits: give the setting or keep the "
                               "CMS file name (ccipra-/ccioph-)", file_name)


def version_of(file_name: str, setting: str, preamble: list[str] = ()) -> str:
    """"NCCI PTP practitioner v32.1" from `ccipra-v321r0-f1.txt` (a revision after r0 is kept: v32.1r1);
    else "NCCI PTP practitioner 2026 Q1" from a quarter in the name or preamble; else the file name."""
    match = _FILE_VERSION.search(file_name)
    if match:
        major, minor, revision = match.groups()
        suffix = f"r{int(revision)}" if revision and int(revision) else ""
        return f"NCCI PTP {setting} v{int(major)}.{minor}{suffix}"
    for text in (file_name, *preamble):
        quarter = _QUARTER.search(text)
        if quarter:
            return f"NCCI PTP {setting} {quarter.group(1)} Q{quarter.group(2)}"
    return f"NCCI PTP {setting} ({Path(file_name).stem[:30]})"


def coverage_of(file_name: str, version: str, setting: str, part: int | None) -> Coverage:
    """Through the end of the quarter the version (in the file name, else the version given) was published for."""
    end = None
    for text in (file_name, version):
        match = _FILE_VERSION.search(text) or _VERSION_NAME.search(text)
        if match and int(match.group(2)) < 4:
            end = quarter(1994 + int(match.group(1)), int(match.group(2)) + 1)[1]
            break
        match = _QUARTER.search(text)
        if match:
            end = quarter(int(match.group(1)), int(match.group(2)))[1]
            break
    return Coverage(full=part is None, valid_to=end, setting=setting,
                    basis="the whole file" if part is None else f"part {part} of the file")


def part_of(file_name: str) -> int | None:
    match = _PART.search(file_name)
    return int(match.group(1)) if match else None


def _part_of_source(source: str | None) -> int | None:
    """The part number in a release source written by load(): "CMS NCCI PTP edits, practitioner (<file>)"."""
    match = re.search(r"\(([^()]*)\)$", source or "")
    return part_of(match.group(1)) if match else None


def load(session: Session, path: Path, version: str | None = None, *, setting: str | None = None) -> ImportReport:
    """Parse the whole file, then bring the setting's edits in line with it in the caller's transaction."""
    path = Path(path)
    parsed = parse(read_lines(path), source=path.name)
    setting = setting_of(path.name, parsed.preamble, setting)
    version = version or version_of(path.name, setting, parsed.preamble)
    source = f"CMS NCCI PTP edits, {setting} ({path.name[:200]})"
    part = part_of(path.name)
    return sync_edits(session, setting, parsed.edits, source=source, version=version, part=part,
                      coverage=coverage_of(path.name, version, setting, part))


def sync_edits(session: Session, setting: str, edits: list[PtpEdit], *, source: str, version: str,
               part: int | None = None, coverage: Coverage | None = None) -> ImportReport:
    """Upsert on (setting, column 1, column 2, effective date) and remove the edits the file no longer
    has. For a part file only the edits last imported from the same part, or with a column 1 code the
    part holds, can be removed."""
    column1 = {e.column1 for e in edits}
    rows = session.execute(
        select(NcciEdit.id, NcciEdit.column1, NcciEdit.column2, NcciEdit.effective_date,
               NcciEdit.deletion_date, NcciEdit.modifier_indicator, NcciEdit.rationale, CatalogRelease.source)
        .outerjoin(CatalogRelease, CatalogRelease.id == NcciEdit.release_id)
        .where(NcciEdit.setting == setting))
    current = {(r.column1, r.column2, r.effective_date): r for r in rows
               if part is None or r.column1 in column1 or _part_of_source(r.source) == part}
    coverage = coverage or Coverage(full=part is None, setting=setting)
    release = new_release(session, SYSTEM, source, version, coverage)
    record_changes = bool(current)  # a first import is all additions: the release's count says it
    new_rows: list[dict] = []
    updates: list[dict] = []
    changes: list[dict] = []
    kept: list[int] = []
    for edit in edits:
        old = current.pop(edit.key, None)
        values = {f: getattr(edit, f) for f in TRACKED}
        if old is None:
            new_rows.append({"setting": setting, "column1": edit.column1, "column2": edit.column2,
                             "effective_date": edit.effective_date, "release_id": release.id, **values})
            changes.append(_change(release.id, edit, "added", new=edit.effective_date))
            continue
        moved = [f for f in TRACKED if getattr(old, f) != values[f]]
        if moved:
            updates.append({"id": old.id, "release_id": release.id, **values})
            changes += [_change(release.id, edit, "changed", f, getattr(old, f), values[f]) for f in moved]
        else:
            kept.append(old.id)
    removed = list(current.values())  # what was not popped is no longer in the file
    changes += [_change(release.id, r, "removed", old=r.effective_date) for r in removed]
    for ids in chunks([r.id for r in removed], 500):
        session.execute(delete(NcciEdit).where(NcciEdit.id.in_(ids)))
    for ids in chunks(kept, 500):
        session.execute(update(NcciEdit).where(NcciEdit.id.in_(ids)).values(release_id=release.id))
    for batch in chunks(updates, _BATCH):
        session.execute(update(NcciEdit), batch)
    for batch in chunks(new_rows, _BATCH):
        session.execute(insert(NcciEdit), batch)
    if record_changes:
        for batch in chunks(changes, _BATCH):
            session.execute(insert(CatalogChange), batch)
    changed = len(updates)
    release.added, release.changed, release.removed = len(new_rows), changed, len(removed)
    session.flush()
    return ImportReport(SYSTEM, source, version, release.id, len(new_rows), changed, len(removed), len(edits),
                        coverage.full, coverage.dates(), coverage.basis)


def _change(release_id: int, edit, change: str, field_name: str | None = None, old=None, new=None) -> dict:
    return {"release_id": release_id, "system": SYSTEM, "code": f"{edit.column1}/{edit.column2}", "change": change,
            "field": field_name, "old": None if old is None else str(old), "new": None if new is None else str(new)}
