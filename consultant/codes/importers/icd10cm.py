"""ICD-10-CM 2026 from the CMS tabular XML shipped in the simple-icd-10-cm package: every chapter,
block and code, and every instructional note.

We read the XML once with ElementTree rather than through the package's API: importing the package
parses the same file into its own tree first (1.5 s), and its note getters join multi-line notes.
7th characters are expanded as the package does: a leaf code under a 7th-character definition (its
own or its nearest ancestor's) gets one child per character, padded with X to six characters, kept
only when the CMS code list (shipped alongside) has it.

The packaged data is the whole official release: its release is full, for the fiscal year its file is
dated in (icd10c-tabular-April-1-2026.xml: FY2026, 2025-10-01 to 2026-09-30). An April update adds
codes to the fiscal year's set and deletes none, so a code missing from it was missing all year."""

from __future__ import annotations

import logging
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from importlib import metadata, util
from pathlib import Path

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from consultant.codes.importers.base import CodeRow, Coverage, ImportReport, sync_codes
from consultant.codes.models import CatalogCode, CodeNote
from consultant.codes.refs import Resolver, find_refs
from consultant.codes.releases import fiscal_year, fiscal_year_of

log = logging.getLogger(__name__)

SYSTEM = "icd10cm"
SOURCE = "CMS ICD-10-CM tabular list {file} (via simple-icd-10-cm {package})"
VERSION = "ICD-10-CM 2026"
PACKAGE = "simple_icd_10_cm"

# XML element -> CodeNote.kind
NOTE_KINDS = {
    "inclusionTerm": "inclusion_term",
    "includes": "includes",
    "excludes1": "excludes1",
    "excludes2": "excludes2",
    "codeFirst": "code_first",
    "useAdditionalCode": "use_additional_code",
    "codeAlso": "code_also",
    "notes": "note",
    "sevenChrNote": "seven_chr_note",
}
SEVEN_CHR_DEF = "seven_chr_def"


@dataclass(frozen=True)
class NoteRow:
    code: str
    kind: str
    text: str
    position: int


@dataclass
class Tabular:
    codes: list[CodeRow] = field(default_factory=list)
    notes: list[NoteRow] = field(default_factory=list)


def data_files() -> tuple[Path, Path]:
    """The tabular XML and the code list inside the installed package, found without importing it
    (its import parses the whole XML)."""
    spec = util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the simple-icd-10-cm package is not installed")
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    tabular = sorted(data.glob("*tabular*.xml"))
    code_list = sorted(data.glob("code-list*.txt"))
    if len(tabular) != 1 or len(code_list) != 1:
        raise RuntimeError(f"expected one tabular XML and one code list in {data}, found {tabular + code_list}")
    return tabular[0], code_list[0]


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_DATED = re.compile(r"(" + "|".join(_MONTHS) + r")[-_ ]?([0-9]{1,2})[-_ ]?(20[0-9]{2})", re.IGNORECASE)


def coverage_of(tabular_name: str, version: str = VERSION) -> Coverage:
    """Full, for the fiscal year the file is dated in ("April-1-2026" -> FY2026), else the version's year."""
    dated = _DATED.search(tabular_name)
    if dated:
        year = fiscal_year_of(date(int(dated.group(3)), _MONTHS.index(dated.group(1).lower()) + 1, 1))
    else:
        named = re.search(r"(20[0-9]{2})", version)
        if not named:
            return Coverage(full=True)
        year = int(named.group(1))
    start, end = fiscal_year(year)
    return Coverage(full=True, valid_from=start, valid_to=end)


def source_name() -> str:
    tabular, _ = data_files()
    return SOURCE.format(file=tabular.name, package=metadata.version("simple-icd-10-cm"))


def parse(tabular_path: Path, code_list_path: Path) -> Tabular:
    """Every chapter, block and code of the tabular list, with its notes, in tabular order."""
    confirmed = {line.split(" ", 1)[0].strip() for line in code_list_path.read_text("utf-8").splitlines()}
    root = ET.parse(tabular_path).getroot()
    return _Walker(confirmed).walk(root)


class _Walker:
    def __init__(self, confirmed: set[str]) -> None:
        self.confirmed = confirmed  # dotless codes of the CMS code list
        self.out = Tabular()
        self.positions: dict[str, int] = {}

    def walk(self, root: ET.Element) -> Tabular:
        for chapter in root.iterfind("chapter"):
            self._chapter(chapter)
        return self.out

    def _chapter(self, element: ET.Element) -> None:
        name = _text(element, "name")
        self.out.codes.append(CodeRow(name, _text(element, "desc"), "chapter", attributes={"chapter": name}))
        self._notes(name, element)
        for section in element.iterfind("section"):
            self._section(section, name)

    def _section(self, element: ET.Element, chapter: str) -> None:
        section = element.get("id", "")
        diags = element.findall("diag")
        attributes = {"chapter": chapter, "section": section}
        if len(diags) == 1 and _text(diags[0], "name") == section:
            # a block holding only its namesake category (B10, C7A, Z68): the category stands for both
            self._notes(section, element)
            self._diag(diags[0], parent=chapter, attributes=attributes, seven=None)
            return
        self.out.codes.append(CodeRow(section, _text(element, "desc"), "block", parent=chapter, attributes=attributes))
        self._notes(section, element)
        for diag in diags:
            self._diag(diag, parent=section, attributes=attributes, seven=None)

    def _diag(self, element: ET.Element, parent: str, attributes: dict, seven: dict[str, str] | None) -> None:
        name, descriptor = _text(element, "name"), _text(element, "desc")
        own_seven = self._notes(name, element)
        seven = own_seven or seven
        children = element.findall("diag")
        extensions = [] if children or not seven else self._extensions(name, descriptor, seven, attributes)
        kind = "header" if children or extensions else "billable"
        self.out.codes.append(CodeRow(name, descriptor, kind, parent=parent, attributes=attributes))
        self.out.codes += extensions
        for child in children:
            self._diag(child, parent=name, attributes=attributes, seven=seven)

    def _extensions(self, name: str, descriptor: str, seven: dict[str, str], attributes: dict) -> list[CodeRow]:
        stem = name if "." in name else name + "."
        stem = stem.ljust(7, "X")
        return [
            CodeRow(stem + char, f"{descriptor}, {meaning}", "billable", parent=name, attributes=attributes)
            for char, meaning in seven.items()
            if (stem + char).replace(".", "") in self.confirmed
        ]

    def _notes(self, code: str, element: ET.Element) -> dict[str, str] | None:
        """Record the element's notes for `code`; return its 7th-character definitions, if any."""
        seven: dict[str, str] | None = None
        for child in element:
            kind = NOTE_KINDS.get(child.tag)
            if kind is not None:
                for note in child.iterfind("note"):
                    if note.text and note.text.strip():
                        self._note(code, kind, note.text.strip())
            elif child.tag == "sevenChrDef":
                seven = self._seven_chr_def(code, child)
        return seven

    def _seven_chr_def(self, code: str, element: ET.Element) -> dict[str, str]:
        meanings: dict[str, str] = {}
        extras: dict[str, list[str]] = {}
        last = None
        for child in element:
            if child.tag == "extension":
                last = child.get("char", "")
                meanings[last] = (child.text or "").strip()
            elif child.tag == "note" and last is not None and child.text:
                extras.setdefault(last, []).append(child.text.strip())
        for char, meaning in meanings.items():
            text = f"{char}: {meaning}" + "".join(f"; {extra}" for extra in extras.get(char, []))
            self._note(code, SEVEN_CHR_DEF, text)
        return meanings

    def _note(self, code: str, kind: str, text: str) -> None:
        position = self.positions.get(code, 0)
        self.positions[code] = position + 1
        self.out.notes.append(NoteRow(code, kind, text, position))


def _text(element: ET.Element, tag: str) -> str:
    return (element.findtext(tag) or "").strip()


def loaded_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(CatalogCode).where(CatalogCode.system == SYSTEM)) or 0


def load_report(session: Session, progress: Callable[[str], None] = lambda _stage: None) -> ImportReport:
    """Bring the ICD-10-CM rows and notes in line with the packaged release, in place: unchanged
    codes keep their rows, changed ones are recorded in catalog_change, notes are replaced.
    `progress` hears what is being done, stage by stage (the whole load takes half a minute or more)."""
    started = time.perf_counter()
    tabular_path, code_list_path = data_files()
    progress(f"reading {tabular_path.name}")
    tabular = parse(tabular_path, code_list_path)
    parsed = time.perf_counter()
    source = source_name()
    progress(f"writing {len(tabular.codes):,} ICD-10-CM codes")
    report = sync_codes(session, SYSTEM, tabular.codes, source=source, version=VERSION,
                        coverage=coverage_of(tabular_path.name))
    synced = time.perf_counter()
    progress(f"writing {len(tabular.notes):,} instructional notes")
    notes = _write_notes(session, tabular, report.release_id)
    log.info(
        "catalog loaded system=%s codes=%d added=%d changed=%d removed=%d notes=%d "
        "parse=%.1fs codes=%.1fs notes=%.1fs",
        SYSTEM, report.rows, report.added, report.changed, report.removed, notes,
        parsed - started, synced - parsed, time.perf_counter() - synced,
    )
    return report


def load(session: Session) -> int:
    """Load the packaged ICD-10-CM release (see `load_report`). Returns the number of codes."""
    return load_report(session).rows


def _write_notes(session: Session, tabular: Tabular, release_id: int, batch: int = 5000) -> int:
    resolver = Resolver(row.code for row in tabular.codes if row.kind in ("billable", "header"))
    rows = [
        {"system": SYSTEM, "code": note.code, "kind": note.kind, "text": note.text, "position": note.position,
         "refs": [] if note.kind == SEVEN_CHR_DEF else resolver.resolve(find_refs(note.text)),
         "release_id": release_id}
        for note in tabular.notes
    ]
    session.execute(delete(CodeNote).where(CodeNote.system == SYSTEM))
    for start in range(0, len(rows), batch):
        session.execute(insert(CodeNote), rows[start:start + batch])
    return len(rows)
