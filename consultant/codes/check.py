"""Which of a set of codes conflict, for a date of service (`consultant codes check CODE CODE ... --date`).

Three sources, each finding with the source and version it came from:
- ICD-10-CM Excludes1 (never coded together) and Excludes2 (both may be coded) notes, between ICD-10-CM
  codes: a note on a code applies to its descendants, so a note on category K76 (or its block or
  chapter) applies to K76.0;
- NCCI procedure-to-procedure edits in force on the date, in either order, per setting, between CPT and
  HCPCS codes;
- MUE limits in force on the date, per code and setting.

Each table that applies to the codes (`tables`) says whether it was checked for the date and with which
release (consultant/codes/releases.py): a table not imported, or whose release does not cover the date,
is named as not checked and gives no findings, so no answer can read "no edit" from it.

A handful of indexed queries whatever the number of codes: a few milliseconds on SQLite."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from itertools import permutations

from sqlalchemy import Connection, Date, and_, bindparam, exists, or_, select, union
from sqlalchemy.orm import Session

from consultant.codes.lookup import SYSTEM_NAMES, Status
from consultant.codes.meanings import ADJUDICATION_INDICATORS, MODIFIER_INDICATORS
from consultant.codes.models import CatalogCode, CatalogRelease, CodeNote, MueLimit, NcciEdit
from consultant.codes.refs import ref_matches
from consultant.codes.releases import (
    MUE_TABLES, NCCI_TABLES, TABLES, Releases, ReleaseView, TableCheck, missing_code, missing_text, table_check,
    table_systems,
)
from consultant.codes.shapes import ICD, normalise
from consultant.codes.shapes import readings as _readings

UNRECOGNISED = "unrecognised"
EXCLUDES = {
    "excludes1": "Excludes1: never coded together",
    "excludes2": "Excludes2: both may be coded when both conditions are present",
}
NCCI_SETTINGS = ("practitioner", "hospital")
MUE_SETTINGS = ("practitioner", "outpatient-hospital", "dme")
_SETTING_NAMES = {"practitioner": "practitioner", "hospital": "hospital", "outpatient-hospital": "outpatient hospital",
                  "dme": "DME"}


# --- findings -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckedCode:
    given: str
    code: str
    system: str  # icd10cm, cpt, hcpcs, pcs, or "unrecognised"
    status: str  # a lookup.Status value, or "unrecognised"
    descriptor: str | None = None
    remark: str | None = None  # how an ambiguous entry was read
    release: ReleaseView | None = None  # for a code the catalog does not have: the release it was looked up in

    @property
    def system_name(self) -> str:
        return SYSTEM_NAMES.get(self.system, self.system)

    def as_dict(self) -> dict:
        return {"given": self.given, "code": self.code, "system": self.system, "status": self.status,
                "descriptor": self.descriptor, "remark": self.remark, "system_name": self.system_name,
                "release": self.release.as_dict() if self.release else None}


@dataclass(frozen=True)
class ExcludesFinding:
    kind: str  # excludes1, excludes2
    code: str  # the code the note applies to
    other: str  # the code the note excludes
    note_code: str  # where the note is written: the code itself or an ancestor (K76, K70-K77)
    text: str
    source: str | None
    version: str | None

    @property
    def meaning(self) -> str:
        return EXCLUDES[self.kind]

    @property
    def conflict(self) -> bool:
        return self.kind == "excludes1"

    def as_dict(self) -> dict:
        return {**asdict(self), "meaning": self.meaning, "conflict": self.conflict}


@dataclass(frozen=True)
class PtpFinding:
    column1: str
    column2: str
    setting: str
    modifier_indicator: str
    effective_date: date
    deletion_date: date | None
    rationale: str
    source: str | None
    version: str | None

    @property
    def meaning(self) -> str:
        return MODIFIER_INDICATORS.get(self.modifier_indicator, "unknown indicator")

    @property
    def conflict(self) -> bool:
        return self.modifier_indicator in ("0", "1")

    def as_dict(self) -> dict:
        return {**asdict(self), "effective_date": self.effective_date.isoformat(),
                "deletion_date": self.deletion_date.isoformat() if self.deletion_date else None,
                "meaning": self.meaning, "conflict": self.conflict}


@dataclass(frozen=True)
class MueFinding:
    code: str
    setting: str
    value: int
    adjudication_indicator: int
    rationale: str
    effective_date: date | None
    source: str | None
    version: str | None

    @property
    def meaning(self) -> str:
        return ADJUDICATION_INDICATORS.get(self.adjudication_indicator, "unknown indicator")

    def as_dict(self) -> dict:
        return {**asdict(self), "effective_date": self.effective_date.isoformat() if self.effective_date else None,
                "meaning": self.meaning}


@dataclass(frozen=True)
class CheckResult:
    on: date
    codes: list[CheckedCode]
    excludes: list[ExcludesFinding] = field(default_factory=list)
    ptp: list[PtpFinding] = field(default_factory=list)
    mue: list[MueFinding] = field(default_factory=list)
    tables: list[TableCheck] = field(default_factory=list)  # each table that applies: checked for the date or not

    @property
    def not_checked(self) -> list[TableCheck]:
        return [t for t in self.tables if not t.checked]

    @property
    def pair_tables(self) -> list[TableCheck]:
        """The tables that pair codes (Excludes notes, NCCI PTP edits), where they apply."""
        return [t for t in self.tables if t.table == "excludes" or t.table in NCCI_TABLES]

    @property
    def unpaired(self) -> bool:
        """Several codes, but no table pairs them: diagnoses with procedures, or other code sets."""
        icd = [c for c in self.codes if c.system == ICD]
        procedures = [c for c in self.codes if c.system in ("cpt", "hcpcs")]
        judged = [c for c in self.codes if c.system != UNRECOGNISED]
        return len(judged) > 1 and len(icd) < 2 and len(procedures) < 2

    def table(self, name: str) -> TableCheck | None:
        return next((t for t in self.tables if t.table == name), None)

    @property
    def conflicts(self) -> list[ExcludesFinding | PtpFinding]:
        """The findings that forbid or restrict coding both: Excludes1, and NCCI PTP edits with indicator 0 or 1."""
        return [f for f in self.excludes if f.conflict] + [f for f in self.ptp if f.conflict]

    @property
    def conflicting_pairs(self) -> list[tuple[str, str, list[str]]]:
        """Each pair of codes in conflict once, with what says so ("Excludes1", "NCCI PTP practitioner")."""
        pairs: dict[frozenset, tuple[str, str, list[str]]] = {}
        for f in self.conflicts:
            a, b, why = ((f.code, f.other, "Excludes1") if isinstance(f, ExcludesFinding)
                         else (f.column1, f.column2, f"NCCI PTP {f.setting}"))
            reasons = pairs.setdefault(frozenset((a, b)), (a, b, []))[2]
            if why not in reasons:
                reasons.append(why)
        return list(pairs.values())

    def as_dict(self) -> dict:
        return {
            "date_of_service": self.on.isoformat(),
            "codes": [c.as_dict() for c in self.codes],
            "conflicts": [{"codes": [a, b], "by": by} for a, b, by in self.conflicting_pairs],
            "excludes": [f.as_dict() for f in self.excludes],
            "ncci_ptp": [f.as_dict() for f in self.ptp],
            "mue": [f.as_dict() for f in self.mue],
            "tables": [t.as_dict() for t in self.tables],
            "not_checked": [f"{t.name}: {t.reason}" for t in self.not_checked],
        }


# --- normalising ----------------------------------------------------------------------------------

def normalise_icd(text: str) -> str:
    """Upper case, the dot after the category ("K760" -> "K76.0"); a trailing "-" or "." dropped."""
    return normalise(ICD, text)


def readings(text: str) -> list[tuple[str, str]]:
    """The (system, code) pairs an entry could be, most likely first; [] when it has no code shape."""
    return _readings(text, claim=True)


def _prefixes(code: str) -> list[str]:
    """S72.001A -> S72.001A, S72.001, S72.00, S72.0, S72."""
    if "." not in code:
        return [code]
    return [code[:n] for n in range(len(code), 4, -1)] + [code[:3]]


# --- statements, built once: Core, expanding parameters (the compiled SQL is cached) -------------

_code = CatalogCode.__table__
_note = CodeNote.__table__
_release = CatalogRelease.__table__
_edit = NcciEdit.__table__
_limit = MueLimit.__table__
_CATALOG_COLUMNS = ("code", "parent", "descriptor", "kind", "source", "version")


def _tree_statement():
    """The ICD-10-CM codes asked for and every row above them (category, block, chapter), one query."""
    seed = (select(*[_code.c[n] for n in _CATALOG_COLUMNS])
            .where(_code.c.system == ICD, _code.c.code.in_(bindparam("codes", expanding=True)))
            .cte("tree", recursive=True))
    up = _code.alias("up")
    tree = seed.union(select(*[up.c[n] for n in _CATALOG_COLUMNS])
                      .join_from(up, seed, and_(up.c.system == ICD, up.c.code == seed.c.parent)))
    return select(*tree.c)


_TREE = _tree_statement()
_OTHER_CODES = (select(_code.c.system, *[_code.c[n] for n in _CATALOG_COLUMNS])
                .where(_code.c.system.in_(bindparam("systems", expanding=True)),
                       _code.c.code.in_(bindparam("codes", expanding=True))))
_LOADED_CHECKS = {
    **{f"catalog:{s}": exists().where(_code.c.system == s) for s in (ICD, "cpt", "hcpcs", "pcs")},
    "excludes": exists().where(_note.c.system == ICD, _note.c.kind.in_(list(EXCLUDES))),
    **{f"ncci:{s}": exists().where(_edit.c.setting == s) for s in NCCI_SETTINGS},
    **{f"mue:{s}": exists().where(_limit.c.setting == s) for s in MUE_SETTINGS},
}
_LOADED = select(*[c.label(f"c{i}") for i, c in enumerate(_LOADED_CHECKS.values())])
_IN_EDIT_TABLES = union(
    select(_edit.c.column1).where(_edit.c.column1.in_(bindparam("codes", expanding=True))),
    select(_edit.c.column2).where(_edit.c.column2.in_(bindparam("codes", expanding=True))),
    select(_limit.c.code).where(_limit.c.code.in_(bindparam("codes", expanding=True))))
_NOTES = (select(_note.c.code, _note.c.kind, _note.c.text, _note.c.refs, _release.c.source, _release.c.version)
          .select_from(_note.outerjoin(_release, _release.c.id == _note.c.release_id))
          .where(_note.c.system == ICD, _note.c.code.in_(bindparam("codes", expanding=True)),
                 _note.c.kind.in_(list(EXCLUDES)))
          .order_by(_note.c.code, _note.c.position, _note.c.id))
_ON = bindparam("on", type_=Date)
_PTP = (select(_edit.c.column1, _edit.c.column2, _edit.c.setting, _edit.c.modifier_indicator, _edit.c.effective_date,
               _edit.c.deletion_date, _edit.c.rationale, _release.c.source, _release.c.version)
        .select_from(_edit.outerjoin(_release, _release.c.id == _edit.c.release_id))
        .where(_edit.c.column1.in_(bindparam("codes", expanding=True)),
               _edit.c.column2.in_(bindparam("codes", expanding=True)),
               _edit.c.setting.in_(bindparam("settings", expanding=True)),
               _edit.c.column1 != _edit.c.column2,
               _edit.c.effective_date <= _ON,
               or_(_edit.c.deletion_date.is_(None), _edit.c.deletion_date > _ON)))
_MUE = (select(_limit.c.code, _limit.c.setting, _limit.c.value, _limit.c.adjudication_indicator, _limit.c.rationale,
               _limit.c.effective_date, _release.c.source, _release.c.version)
        .select_from(_limit.outerjoin(_release, _release.c.id == _limit.c.release_id))
        .where(_limit.c.code.in_(bindparam("codes", expanding=True)),
               _limit.c.setting.in_(bindparam("settings", expanding=True)),
               or_(_limit.c.effective_date.is_(None), _limit.c.effective_date <= _ON),
               or_(_limit.c.deletion_date.is_(None), _limit.c.deletion_date > _ON)))


# --- the check ------------------------------------------------------------------------------------

def check_codes(session: Session, codes: list[str], on: date | None = None) -> CheckResult:
    """Every code named and its system; every Excludes note, NCCI PTP edit and MUE among them on `on`
    (today when not given)."""
    on = on or date.today()
    db = session.connection()
    entries = [(text.strip(), readings(text)) for text in codes if text.strip()]
    icd_codes = {code for _, found in entries for system, code in found if system == ICD}
    other = {(system, code) for _, found in entries for system, code in found if system != ICD}
    tree = _icd_tree(db, icd_codes)
    catalog = dict(tree.rows)
    if other:
        catalog.update({(r.system, r.code): r for r in db.execute(
            _OTHER_CODES, {"systems": sorted({s for s, _ in other}), "codes": sorted({c for _, c in other})})})
    loaded = dict(zip(_LOADED_CHECKS, (bool(v) for v in db.execute(_LOADED).one())))
    releases = Releases.read(db, table_systems() | {s for _, found in entries for s, _ in found})
    ambiguous = sorted({code for _, found in entries if len(found) > 1 for system, code in found if system == "hcpcs"})
    in_edit_tables = set(db.scalars(_IN_EDIT_TABLES, {"codes": ambiguous})) if ambiguous else set()
    checked: list[CheckedCode] = []
    for given, found in entries:  # "K760" and "k76.0" are one code
        code = _resolve(given, found, catalog, loaded, in_edit_tables, releases, on)
        if all((c.system, c.code) != (code.system, code.code) for c in checked):
            checked.append(code)

    icd = [c.code for c in checked if c.system == ICD and c.status in Status.DESCRIBABLE]  # no notes for invalid codes
    procedures = [c.code for c in checked if c.system in ("cpt", "hcpcs")]
    names = (["excludes"] if len(icd) > 1 else []) + (list(NCCI_TABLES) if len(procedures) > 1 else []) + (
        list(MUE_TABLES) if procedures else [])
    tables = [table_check(name, on, loaded[name], releases) for name in names]
    settings = {t.table: TABLES[t.table][2] for t in tables if t.checked}
    ptp_settings = [settings[t] for t in NCCI_TABLES if t in settings]
    mue_settings = [settings[t] for t in MUE_TABLES if t in settings]
    return CheckResult(
        on, checked,
        excludes=_excludes(db, icd, tree) if "excludes" in settings else [],
        ptp=_ptp(db, procedures, on, ptp_settings) if ptp_settings else [],
        mue=_mue(db, procedures, on, mue_settings) if mue_settings else [],
        tables=tables,
    )


@dataclass
class _Tree:
    rows: dict[tuple[str, str], object]  # (icd10cm, code) -> catalog row, for the codes and their ancestors
    parents: dict[str, str | None]

    def ancestors(self, code: str) -> list[str]:
        """The code, its shorter forms and every level above it (category, block, chapter)."""
        found: list[str] = []
        for step in _prefixes(code):
            while step and step not in found:
                found.append(step)
                step = self.parents.get(step)
        return found


def _icd_tree(db: Connection, codes: set[str]) -> _Tree:
    if not codes:
        return _Tree({}, {})
    rows = db.execute(_TREE, {"codes": sorted({p for code in codes for p in _prefixes(code)})}).all()
    return _Tree({(ICD, r.code): r for r in rows}, {r.code: r.parent for r in rows})


def _resolve(given: str, found: list[tuple[str, str]], catalog: dict, loaded: dict, in_edit_tables: set,
             releases: Releases, on: date) -> CheckedCode:
    if not found:
        return CheckedCode(given, given, UNRECOGNISED, UNRECOGNISED)
    system, code = found[0]
    remark = None
    if len(found) > 1:  # J1100: HCPCS when a HCPCS table knows it, else ICD-10-CM J11.00 when that exists
        known = [(s, c) for s, c in found if (s, c) in catalog or (s == "hcpcs" and c in in_edit_tables)]
        system, code = known[0] if known else found[0]
        if len(known) > 1:
            remark = f"read as {_name(system)} {code}; also {' / '.join(f'{_name(s)} {c}' for s, c in known[1:])}"
        elif known and (system, code) != found[0]:
            remark = f"read as {_name(system)} {code}: no imported {_name(found[0][0])} table has {found[0][1]}"
    row = catalog.get((system, code))
    if row is None:
        status, release = missing_code(system, on, releases, loaded.get(f"catalog:{system}", False))
        return CheckedCode(given, code, system, status, remark=remark, release=release)
    status = row.kind if row.kind in Status.DESCRIBABLE else Status.HEADER
    return CheckedCode(given, code, system, status, row.descriptor, remark)


def _name(system: str) -> str:
    return SYSTEM_NAMES.get(system, system)


def _excludes(db: Connection, codes: list[str], tree: _Tree) -> list[ExcludesFinding]:
    lineage = {code: tree.ancestors(code) for code in codes}
    owners = sorted({a for chain in lineage.values() for a in chain})
    by_owner: dict[str, list] = {}
    for note in db.execute(_NOTES, {"codes": owners}):
        by_owner.setdefault(note.code, []).append(note)
    findings = []
    for code, other in permutations(codes, 2):
        if other in lineage[code] or code in lineage[other]:
            continue  # K76 and K76.0 given together: a code is not excluded by its own category's notes
        for owner in lineage[code]:
            for note in by_owner.get(owner, ()):
                if any(ref_matches(ref, other) for ref in note.refs or ()):
                    fallback = tree.rows.get((ICD, note.code))
                    findings.append(ExcludesFinding(
                        note.kind, code, other, note.code, note.text,
                        note.source or (fallback.source if fallback else None),
                        note.version or (fallback.version if fallback else None)))
    findings.sort(key=lambda f: (f.kind, codes.index(f.code), codes.index(f.other)))
    return findings


def _ptp(db: Connection, codes: list[str], on: date, settings: list[str]) -> list[PtpFinding]:
    findings = [PtpFinding(*row) for row in db.execute(_PTP, {"codes": codes, "on": on, "settings": settings})]
    order = {s: i for i, s in enumerate(NCCI_SETTINGS)}
    findings.sort(key=lambda f: (codes.index(f.column1), codes.index(f.column2), order.get(f.setting, 9)))
    return findings


def _mue(db: Connection, codes: list[str], on: date, settings: list[str]) -> list[MueFinding]:
    findings = [MueFinding(*row) for row in db.execute(_MUE, {"codes": codes, "on": on, "settings": settings})]
    order = {s: i for i, s in enumerate(MUE_SETTINGS)}
    findings.sort(key=lambda f: (codes.index(f.code), order.get(f.setting, 9)))
    return findings


# --- plain text -----------------------------------------------------------------------------------

_STATUS_TEXT = {
    Status.HEADER: "not billable: a header, more characters needed",
    Status.LICENSED_TEXT_MISSING: "no descriptor: CPT text needs the licensee's file",
    Status.CODE_SET_NOT_LOADED: "code set not imported: cannot be validated",
    UNRECOGNISED: "not a code shape: not checked",
}


def format_check(result: CheckResult) -> str:
    """What a coder reads: the codes and their systems, each finding with its source, then the verdict."""
    lines = [f"Date of service {result.on.isoformat()}"]
    width = max((len(c.code) for c in result.codes), default=5)
    system_width = max((len(c.system_name) for c in result.codes), default=9)
    for c in result.codes:
        text = c.descriptor if c.status == Status.BILLABLE else _STATUS_TEXT.get(c.status, c.status)
        if c.status in (Status.INVALID, Status.NOT_IN_FILE, Status.NOT_COVERED):
            text = missing_text(c.status, c.system, c.release, result.on)
        if c.status == Status.HEADER and c.descriptor:
            text = f"{c.descriptor} ({_STATUS_TEXT[Status.HEADER]})"
        if c.given.upper() != c.code.upper():
            text = f"{text} (given {c.given})"
        lines.append(f"  {c.code:<{width}}  {c.system_name:<{system_width}}  {text or ''}".rstrip())
        if c.remark:
            lines.append(f"  {'':<{width}}  {'':<{system_width}}  {c.remark}")
    for kind, title in (("excludes1", "Excludes1: never coded together"),
                        ("excludes2", "Excludes2: both may be coded when both conditions are present")):
        found = [f for f in result.excludes if f.kind == kind]
        if found:
            lines += ["", title]
            lines += [f"  {f.code} + {f.other}: note at {f.note_code} \"{f.text}\" [{_version(f)}]" for f in found]
    if result.ptp:
        lines += ["", "NCCI PTP edits (column 2 is not paid separately from column 1)"]
        for f in result.ptp:
            dates = f"effective {f.effective_date.isoformat()}"
            if f.deletion_date:
                dates += f", deleted {f.deletion_date.isoformat()}"
            lines.append(f"  column 1 {f.column1}, column 2 {f.column2} ({f.setting}): "
                         f"modifier indicator {f.modifier_indicator}, {f.meaning}")
            lines.append(f"    {f.rationale or 'no rationale given'}; {dates} [{_version(f)}]")
    if result.mue:
        lines += ["", "MUE (most units per claim line or date of service)"]
        for f in result.mue:
            units = f"{f.value} unit{'' if f.value == 1 else 's'}"
            lines.append(f"  {f.code}, {_SETTING_NAMES.get(f.setting, f.setting)}: {units}; "
                         f"MAI {f.adjudication_indicator}: {f.meaning}; {f.rationale} [{_version(f)}]")
    lines.append("")
    lines += verdict_lines(result)
    return "\n".join(lines)


def verdict_lines(result: CheckResult) -> list[str]:
    """The verdict, then what was checked for the date (with its release and dates) and what was not."""
    lines = []
    pairs = result.conflicting_pairs
    if pairs:
        lines.append("Conflicts: " + "; ".join(f"{a} + {b} ({', '.join(by)})" for a, b, by in pairs) + ".")
    elif any(t.checked for t in result.pair_tables):
        lines.append("No conflict in the tables checked.")
    elif result.pair_tables:
        lines.append(f"Conflicts not checked: no table that pairs these codes was checked for {result.on.isoformat()}.")
    elif result.unpaired:
        lines.append(f"No table pairs these codes: {UNPAIRED}.")
    checked = [t for t in result.tables if t.checked]
    if checked:
        lines.append(f"Checked for {result.on.isoformat()}: " + "; ".join(f"{t.name} [{t.cited}]" for t in checked)
                     + ".")
    if result.not_checked:
        lines.append("Not checked: " + "; ".join(f"{t.name} ({t.reason})" for t in result.not_checked) + ".")
    return lines


UNPAIRED = "Excludes notes pair ICD-10-CM codes, NCCI PTP edits pair CPT and HCPCS codes"


def _version(finding) -> str:
    return finding.version or "version unknown"
