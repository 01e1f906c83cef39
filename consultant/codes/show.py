"""Everything the catalog knows about one code (`consultant codes show CODE [--date] [--json]`):
descriptor and status on the date of service, instructional notes (the code's own and those it
inherits from its category, block and chapter), NCCI edits and MUE in force, our lay text, and the
source and version of each. A header gets its billable codes. A code the catalog does not have is judged
by its set's release (consultant/codes/releases.py): only a full official release that covers the date
makes it invalid, and only then are the nearest valid codes offered; a code missing from a licensee's
CPT file or a partial file is "not in the loaded file", with no neighbours. The NCCI and MUE sections
say which tables were checked for the date, with their releases, and which were not.

A handful of indexed queries: a few milliseconds on SQLite."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, exists, func, or_, select, text
from sqlalchemy.orm import Session

from consultant.codes.lookup import SYSTEM_NAMES, Status
from consultant.codes.meanings import ADJUDICATION_INDICATORS_SHORT, MODIFIER_INDICATORS_SHORT
from consultant.codes.models import CatalogCode, CatalogRelease, CodeNote, LayDescription, MueLimit, NcciEdit
from consultant.codes.releases import (
    MUE_TABLES, NCCI_TABLES, TABLES, Releases, ReleaseView, TableCheck, missing_code, missing_text, table_check,
    table_systems,
)
from consultant.codes.shapes import ICD, normalise, readings  # noqa: F401 (normalise: re-exported)

DELETED = Status.DELETED
SHAPELESS = "unrecognised"
KIND_ORDER = ("includes", "inclusion_term", "excludes1", "excludes2", "code_first", "use_additional_code",
              "code_also", "note", "seven_chr_note", "seven_chr_def")
KIND_LABELS = {
    "includes": "Includes", "inclusion_term": "Inclusion terms", "excludes1": "Excludes1", "excludes2": "Excludes2",
    "code_first": "Code first", "use_additional_code": "Use additional code", "code_also": "Code also",
    "note": "Notes", "seven_chr_note": "7th character", "seven_chr_def": "7th characters",
}
NOT_INHERITED = frozenset({"inclusion_term"})  # an inclusion term names the code it is written under
STATUS_TEXT = {
    Status.BILLABLE: "billable",
    Status.HEADER: "header: not billable, more characters needed",
    Status.INVALID: "not a valid code",
    Status.NOT_IN_FILE: "not in the loaded file",
    Status.NOT_COVERED: "not in a release that covers the date",
    DELETED: "deleted",
    Status.LICENSED_TEXT_MISSING: "CPT code shape; no descriptor without the licensee's CPT file",
    Status.CODE_SET_NOT_LOADED: "code set not imported: cannot be validated",
}
PAIRS_SHOWN = 5
CHILDREN_SHOWN = 12
SUGGESTIONS_SHOWN = 8

_SPAN = re.compile(r"([A-Z][0-9][0-9A-Z])-([A-Z][0-9][0-9A-Z])\)?$")


# --- the answer -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CodeRef:
    code: str
    descriptor: str
    kind: str | None = None

    def as_dict(self) -> dict:
        return {"code": self.code, "descriptor": self.descriptor, "kind": self.kind}


@dataclass(frozen=True)
class NoteView:
    kind: str
    text: str
    refs: list[dict]
    inherited_from: str | None = None  # the ancestor the note is written under; None: the code itself

    def as_dict(self) -> dict:
        return {"text": self.text, "refs": self.refs, "inherited_from": self.inherited_from}


@dataclass(frozen=True)
class NcciSummary:
    loaded: bool
    total: int = 0  # edits in force on the date, in the settings checked
    as_column1: int = 0  # this code is column 1: the other code is bundled into it
    as_column2: int = 0  # this code is column 2: bundled into the other
    pairs: list[dict] = field(default_factory=list)
    tables: list[TableCheck] = field(default_factory=list)  # practitioner, hospital: checked for the date or not

    @property
    def checked(self) -> list[TableCheck]:
        return [t for t in self.tables if t.checked]

    def as_dict(self) -> dict:
        return {"loaded": self.loaded, "total": self.total, "as_column1": self.as_column1,
                "as_column2": self.as_column2, "pairs": self.pairs, "tables": [t.as_dict() for t in self.tables]}


@dataclass(frozen=True)
class MueView:
    setting: str
    value: int
    adjudication_indicator: int
    rationale: str
    effective_date: date | None

    def as_dict(self) -> dict:
        return {"setting": self.setting, "value": self.value, "adjudication_indicator": self.adjudication_indicator,
                "rationale": self.rationale, "effective_date": _iso(self.effective_date)}


@dataclass(frozen=True)
class LayView:
    text: str
    author: str
    written_at: datetime

    def as_dict(self) -> dict:
        return {"text": self.text, "author": self.author, "written_at": self.written_at.isoformat()}


@dataclass(frozen=True)
class SourceView:
    what: str  # descriptor, notes, NCCI PTP, MUE, lay description
    source: str
    version: str | None

    def as_dict(self) -> dict:
        return {"what": self.what, "source": self.source, "version": self.version}


@dataclass(frozen=True)
class CodeDetail:
    given: str
    system: str
    code: str
    on: date
    status: str
    descriptor: str | None = None
    kind: str | None = None  # billable, header, block, chapter, modifier
    effective_date: date | None = None
    deletion_date: date | None = None
    lineage: list[CodeRef] = field(default_factory=list)  # parent first, chapter last
    notes: dict[str, list[NoteView]] = field(default_factory=dict)  # in KIND_ORDER
    children: list[CodeRef] = field(default_factory=list)  # a header's billable codes (capped)
    children_total: int = 0
    suggestions: list[CodeRef] = field(default_factory=list)  # an invalid code's nearest valid ones
    ncci: NcciSummary | None = None  # CPT/HCPCS only
    mue: list[MueView] = field(default_factory=list)
    mue_tables: list[TableCheck] = field(default_factory=list)  # CPT/HCPCS only: checked for the date or not
    release: ReleaseView | None = None  # the code's release; for a code not in the catalog, the one looked in
    lay: LayView | None = None
    sources: list[SourceView] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)  # how the entry was read, dates that matter

    @property
    def system_name(self) -> str:
        return SYSTEM_NAMES.get(self.system, self.system)

    def as_dict(self) -> dict:
        return {
            "given": self.given, "system": self.system, "system_name": self.system_name, "code": self.code,
            "date_of_service": self.on.isoformat(), "status": self.status, "descriptor": self.descriptor,
            "kind": self.kind, "effective_date": _iso(self.effective_date), "deletion_date": _iso(self.deletion_date),
            "lineage": [r.as_dict() for r in self.lineage],
            "notes": {kind: [n.as_dict() for n in notes] for kind, notes in self.notes.items()},
            "children": [r.as_dict() for r in self.children], "children_total": self.children_total,
            "suggestions": [r.as_dict() for r in self.suggestions],
            "ncci": self.ncci.as_dict() if self.ncci else None,
            "mue": [m.as_dict() for m in self.mue],
            "mue_tables": [t.as_dict() for t in self.mue_tables],
            "release": self.release.as_dict() if self.release else None,
            "status_text": status_text(self),
            "lay_description": self.lay.as_dict() if self.lay else None,
            "sources": [s.as_dict() for s in self.sources],
            "remarks": list(self.remarks),
        }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


# --- reading the entry ----------------------------------------------------------------------------

def _pick(session: Session, found: list[tuple[str, str]]) -> tuple[tuple[str, str], list[str], CatalogCode | None]:
    """The first reading the catalog (or, for HCPCS, an edit table or our lay text) knows, else the first."""
    rows = {(r.system, r.code): r for r in session.execute(
        select(CatalogCode).where(or_(*[and_(CatalogCode.system == s, CatalogCode.code == c) for s, c in found]))
    ).scalars()}
    known = [reading for reading in found if reading in rows]
    if len(found) > 1:
        hcpcs = [c for s, c in found if s == "hcpcs" and (s, c) not in rows]
        if hcpcs and _known_elsewhere(session, hcpcs[0]):
            known = sorted(known + [("hcpcs", hcpcs[0])], key=found.index)
    chosen = known[0] if known else found[0]
    remarks = []
    if len(found) > 1:
        name = SYSTEM_NAMES.get(chosen[0], chosen[0])
        others = [f"{SYSTEM_NAMES.get(s, s)} {c}" for s, c in known if (s, c) != chosen]
        if others:
            remarks.append(f"read as {name} {chosen[1]}; also valid as {', '.join(others)} (give --system to choose)")
        elif chosen != found[0]:
            first = SYSTEM_NAMES.get(found[0][0], found[0][0])
            remarks.append(f"read as {name} {chosen[1]}: no imported {first} table has {found[0][1]} "
                           f"(give --system {found[0][0]} to ask about it)")
    return chosen, remarks, rows.get(chosen)


def _known_elsewhere(session: Session, code: str) -> bool:
    return bool(session.scalar(select(
        exists().where(or_(NcciEdit.column1 == code, NcciEdit.column2 == code))
        | exists().where(MueLimit.code == code)
        | exists().where(LayDescription.system == "hcpcs", LayDescription.code == code))))


# --- the detail -----------------------------------------------------------------------------------

def code_detail(session: Session, code: str, system: str | None = None, on: date | None = None) -> CodeDetail:
    on = on or date.today()
    found = readings(code, system)
    if not found:
        return CodeDetail(code, SHAPELESS, "".join(code.split()).upper(), on, Status.INVALID,
                          remarks=["not the shape of an ICD-10-CM, CPT, HCPCS, ICD-10-PCS code or modifier"])
    (system, normalised), remarks, row = _pick(session, found)
    procedure = system in ("cpt", "hcpcs")
    releases = Releases.read(session, table_systems() | {system} if procedure else {system})
    lay = _lay(session, system, normalised)
    edits = _edits(session, normalised, on, releases) if procedure else {}
    after = (_edit_sources(session, normalised, on, edits) if procedure else []) + (
        [SourceView("lay description", lay.author, lay.written_at.date().isoformat())] if lay else [])
    if row is None:
        status, release = _missing(session, system, on, releases)
        suggestions = _suggest(session, system, normalised) if status == Status.INVALID else []
        return CodeDetail(code, system, normalised, on, status, suggestions=suggestions, lay=lay, release=release,
                          sources=_merged(after), remarks=remarks, **edits)

    status = _status(row, on, remarks)
    release = next((r for r in releases.of(system) if r.id == row.release_id), None)
    if release and not release.covers(on):
        remarks.append(f"{release.version} covers {release.dates}, not {on.isoformat()}: shown as that release has it")
    lineage = _lineage(session, row)
    notes, note_sources = _notes(session, row, lineage)
    children, total = _children(session, row) if row.kind != Status.BILLABLE else ([], 0)
    sources = [SourceView("descriptor", row.source, row.version), *note_sources, *after]
    return CodeDetail(
        code, system, normalised, on, status, row.descriptor, row.kind, row.effective_date, row.deletion_date,
        lineage=lineage, notes=notes, children=children, children_total=total, lay=lay, release=release,
        sources=_merged(sources), remarks=remarks, **edits,
    )


def _merged(sources: list[SourceView]) -> list[SourceView]:
    """One line per (source, version): "descriptor, notes: ICD-10-CM 2026 - ..."."""
    merged: dict[tuple[str, str | None], list[str]] = {}
    for source in sources:
        whats = merged.setdefault((source.source, source.version), [])
        if source.what not in whats:
            whats.append(source.what)
    return [SourceView(", ".join(whats), source, version) for (source, version), whats in merged.items()]


def _status(row: CatalogCode, on: date, remarks: list[str]) -> str:
    if row.deletion_date is not None and row.deletion_date < on:
        remarks.append(f"deleted: valid through {row.deletion_date.isoformat()}")
        return DELETED
    if row.effective_date is not None and row.effective_date > on:
        remarks.append(f"not yet in effect on {on.isoformat()}: effective {row.effective_date.isoformat()}")
        return Status.INVALID
    if row.deletion_date is not None:
        remarks.append(f"to be deleted: valid through {row.deletion_date.isoformat()}")
    return Status.BILLABLE if row.kind in (Status.BILLABLE, "modifier") else Status.HEADER


def _missing(session: Session, system: str, on: date, releases: Releases) -> tuple[str, ReleaseView | None]:
    """A well-formed code the catalog does not have: judged by its set's release (releases.missing_code).
    Rows recorded without a release row are named by their own version."""
    if system == "modifier":  # HCPCS and CPT modifiers share the system; neither list is the whole set
        rows = session.execute(select(CatalogCode.version, CatalogCode.source)
                               .where(CatalogCode.system == system).limit(1)).first()
        newest = releases.newest(system) or (ReleaseView(rows.version, rows.source) if rows else None)
        return (Status.NOT_IN_FILE, newest) if rows else (Status.CODE_SET_NOT_LOADED, None)
    row = session.execute(select(CatalogCode.version, CatalogCode.source)
                          .where(CatalogCode.system == system).limit(1)).first()
    fallback = ReleaseView(row.version, row.source) if row else None
    return missing_code(system, on, releases, row is not None, fallback)


def _lineage(session: Session, row: CatalogCode) -> list[CodeRef]:
    """Parent first, chapter last. ICD-10-CM in one query: the code's shorter forms, its block, its chapter."""
    if row.system == ICD:
        wanted = [row.code[:n] for n in range(len(row.code) - 1, 3, -1) if row.code[n - 1] != "."] + [row.code[:3]]
        wanted += [(row.attributes or {}).get("section"), (row.attributes or {}).get("chapter")]
        wanted = [w for w in wanted if w and w != row.code]
        found = {r.code: r for r in session.execute(
            select(CatalogCode.code, CatalogCode.descriptor, CatalogCode.kind, CatalogCode.parent)
            .where(CatalogCode.system == ICD, CatalogCode.code.in_(wanted)))}
        chain, step = [], row.parent
        while step in found and len(chain) < 12:
            chain.append(CodeRef(step, found[step].descriptor, found[step].kind))
            step = found[step].parent
        return chain
    chain, step = [], row.parent
    while step and len(chain) < 12:
        parent = session.execute(select(CatalogCode.code, CatalogCode.descriptor, CatalogCode.kind, CatalogCode.parent)
                                 .where(CatalogCode.system == row.system, CatalogCode.code == step)).first()
        if parent is None:
            break
        chain.append(CodeRef(parent.code, parent.descriptor, parent.kind))
        step = parent.parent
    return chain


def _notes(session: Session, row: CatalogCode,
           lineage: list[CodeRef]) -> tuple[dict[str, list[NoteView]], list[SourceView]]:
    owners = [row.code] + [r.code for r in lineage]
    rows = session.execute(
        select(CodeNote.code, CodeNote.kind, CodeNote.text, CodeNote.refs, CodeNote.position,
               CatalogRelease.source, CatalogRelease.version)
        .outerjoin(CatalogRelease, CatalogRelease.id == CodeNote.release_id)
        .where(CodeNote.system == row.system, CodeNote.code.in_(owners))).all()
    depth = {code: index for index, code in enumerate(owners)}
    rows = sorted((r for r in rows if r.code == row.code or r.kind not in NOT_INHERITED),
                  key=lambda r: (depth[r.code], r.position))
    grouped: dict[str, list[NoteView]] = {}
    for kind in KIND_ORDER:
        views = [NoteView(kind, r.text, list(r.refs or []), None if r.code == row.code else r.code)
                 for r in rows if r.kind == kind]
        if views:
            grouped[kind] = views
    extra = sorted({r.kind for r in rows} - set(KIND_ORDER))
    for kind in extra:
        grouped[kind] = [NoteView(kind, r.text, list(r.refs or []), None if r.code == row.code else r.code)
                         for r in rows if r.kind == kind]
    sources = sorted({(r.source, r.version) for r in rows if r.source})
    return grouped, [SourceView("notes", source, version) for source, version in sources]


def _code(session: Session):
    """catalog_code.code compared byte by byte: the prefix ranges below ("K76.8" < code < "K76.8~") rely
    on ASCII order. SQLite and a PostgreSQL database created with the C locale compare that way (and use
    the index); under another collation, COLLATE "C" keeps the answers right, at the cost of a scan."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return CatalogCode.code
    key = str(bind.url)
    if key not in _BYTE_ORDER:
        _BYTE_ORDER[key] = bool(session.scalar(text(_BYTE_ORDER_PROBE)))
    return CatalogCode.code if _BYTE_ORDER[key] else CatalogCode.code.collate("C")


_BYTE_ORDER: dict[str, bool] = {}
_BYTE_ORDER_PROBE = "SELECT 'a' > 'B' AND 'K76.8~' > 'K76.81' AND 'K70-K77' < 'K70.0'"


def _children(session: Session, row: CatalogCode) -> tuple[list[CodeRef], int]:
    """A header's billable codes (ICD-10-CM: every billable code under it); a block's or chapter's
    direct children."""
    columns = (CatalogCode.code, CatalogCode.descriptor, CatalogCode.kind)
    code = _code(session)
    where: tuple = (CatalogCode.system == row.system, CatalogCode.parent == row.code)
    if row.system == ICD and row.kind == Status.HEADER:
        where = (CatalogCode.system == ICD, code > row.code, code < row.code + "~", CatalogCode.kind == Status.BILLABLE)
    elif row.system == ICD and (span := _SPAN.search(row.code if row.kind == "block" else row.descriptor)):
        # catalog_code.parent has no index: a block's or chapter's children lie in its code range
        where += (code >= span.group(1), code < span.group(2) + "~")
    total = session.scalar(select(func.count()).select_from(CatalogCode).where(*where)) or 0
    shown = session.execute(select(*columns).where(*where).order_by(code).limit(CHILDREN_SHOWN)).all()
    return [CodeRef(r.code, r.descriptor, r.kind) for r in shown], total


def _lay(session: Session, system: str, code: str) -> LayView | None:
    row = session.execute(select(LayDescription.text, LayDescription.author, LayDescription.written_at)
                          .where(LayDescription.system == system, LayDescription.code == code)).first()
    return LayView(row.text, row.author, row.written_at) if row else None


def _active(model, on: date):
    """In force on the date of service: effective by then, not deleted by then (as `codes check` reads it)."""
    return and_(or_(model.effective_date.is_(None), model.effective_date <= on),
                or_(model.deletion_date.is_(None), model.deletion_date > on))


_EDIT_TABLES = NCCI_TABLES + MUE_TABLES
_LOADED = select(*[exists().where((NcciEdit if TABLES[name][1] == "ncci-ptp" else MueLimit).setting
                                  == TABLES[name][2]).label(f"t{i}") for i, name in enumerate(_EDIT_TABLES)])


def _settings(tables: list[TableCheck]) -> list[str]:
    return [TABLES[t.table][2] for t in tables if t.checked]


def _edits(session: Session, code: str, on: date, releases: Releases) -> dict:
    """The NCCI summary and the MUEs in force on the date, from the tables checked for it."""
    loaded = dict(zip(_EDIT_TABLES, (bool(v) for v in session.execute(_LOADED).one())))
    ncci_tables = [table_check(name, on, loaded[name], releases) for name in NCCI_TABLES]
    mue_tables = [table_check(name, on, loaded[name], releases) for name in MUE_TABLES]
    return {"ncci": _ncci(session, code, on, ncci_tables), "mue": _mue(session, code, on, _settings(mue_tables)),
            "mue_tables": mue_tables}


def _ncci(session: Session, code: str, on: date, tables: list[TableCheck]) -> NcciSummary:
    settings = _settings(tables)
    if not settings:
        return NcciSummary(loaded=any(t.loaded for t in tables), tables=tables)
    in_force = (_active(NcciEdit, on), NcciEdit.setting.in_(settings))
    as1 = session.scalar(select(func.count()).select_from(NcciEdit)
                         .where(NcciEdit.column1 == code, *in_force)) or 0
    as2 = session.scalar(select(func.count()).select_from(NcciEdit)
                         .where(NcciEdit.column2 == code, NcciEdit.column1 != code, *in_force)) or 0
    pairs = session.execute(
        select(NcciEdit.setting, NcciEdit.column1, NcciEdit.column2, NcciEdit.modifier_indicator,
               NcciEdit.effective_date, NcciEdit.deletion_date, NcciEdit.rationale)
        .where(or_(NcciEdit.column1 == code, NcciEdit.column2 == code), *in_force)
        .order_by(NcciEdit.setting.desc(), NcciEdit.column1, NcciEdit.column2)  # practitioner first
        .limit(PAIRS_SHOWN)).all()
    return NcciSummary(True, as1 + as2, as1, as2, [
        {"setting": p.setting, "column1": p.column1, "column2": p.column2, "modifier_indicator": p.modifier_indicator,
         "effective_date": _iso(p.effective_date), "deletion_date": _iso(p.deletion_date), "rationale": p.rationale}
        for p in pairs], tables)


def _mue(session: Session, code: str, on: date, settings: list[str]) -> list[MueView]:
    if not settings:
        return []
    rows = session.execute(
        select(MueLimit.setting, MueLimit.value, MueLimit.adjudication_indicator, MueLimit.rationale,
               MueLimit.effective_date)
        .where(MueLimit.code == code, MueLimit.setting.in_(settings), _active(MueLimit, on))
        .order_by(MueLimit.setting)).all()
    return [MueView(*r) for r in rows]


def _edit_sources(session: Session, code: str, on: date, edits: dict) -> list[SourceView]:
    release = select(CatalogRelease.source, CatalogRelease.version)
    ncci_settings, mue_settings = _settings(edits["ncci"].tables), _settings(edits["mue_tables"])
    ncci = (release.join(NcciEdit, NcciEdit.release_id == CatalogRelease.id)
            .where(or_(NcciEdit.column1 == code, NcciEdit.column2 == code), NcciEdit.setting.in_(ncci_settings),
                   _active(NcciEdit, on)).distinct())
    mue = (release.join(MueLimit, MueLimit.release_id == CatalogRelease.id)
           .where(MueLimit.code == code, MueLimit.setting.in_(mue_settings), _active(MueLimit, on)).distinct())
    return (([SourceView("NCCI PTP", r.source, r.version) for r in session.execute(ncci)] if ncci_settings else [])
            + ([SourceView("MUE", r.source, r.version) for r in session.execute(mue)] if mue_settings else []))


# --- nearest valid codes --------------------------------------------------------------------------

def _suggest(session: Session, system: str, code: str) -> list[CodeRef]:
    """Billable codes near an invalid one: the closest by edit distance within the narrowest existing
    group around it (S72.0011 -> the S72.00 codes), then their siblings under the same subcategory
    (K76.99 -> K76.9, K76.89 and K76.81, K76.82), then the next closest."""
    bare = code.replace(".", "")
    if len(bare) < 3 or system == "modifier":
        return []
    scope = _scope(session, system, code)
    if scope is None:
        return []
    candidates = session.execute(
        select(CatalogCode.code, CatalogCode.descriptor, CatalogCode.kind, CatalogCode.parent)
        .where(CatalogCode.system == system, _code(session) >= scope, _code(session) < scope + "~",
               CatalogCode.kind.in_((Status.BILLABLE, "modifier")))).all()
    if not candidates:
        return []
    scored = sorted(((_distance(bare, c.code.replace(".", "")), -_common(bare, c.code.replace(".", "")), c.code), c)
                    for c in candidates)
    best = scored[0][0][0]
    chosen = [c for key, c in scored if key[0] == best]
    parents = {c.parent for c in chosen if c.parent and len(c.parent.replace(".", "")) > 3}
    chosen += [c for _, c in scored if c.parent in parents and c not in chosen]
    if len(chosen) < 3:
        chosen += [c for _, c in scored if c not in chosen][: 3 - len(chosen)]
    return [CodeRef(c.code, c.descriptor, c.kind) for c in chosen[:SUGGESTIONS_SHOWN]]


def _scope(session: Session, system: str, code: str) -> str | None:
    """The prefix to search under: one level above the longest existing prefix of the code, at least
    the first three characters; when those three do not exist, the nearest existing ones."""
    prefixes = [code[:n] for n in range(len(code) - 1, 2, -1) if code[n - 1] != "."]
    existing = set(session.scalars(select(CatalogCode.code).where(CatalogCode.system == system,
                                                                  CatalogCode.code.in_(prefixes))))
    longest = next((p for p in prefixes if p in existing), None)
    if longest is not None:
        shorter = longest[:-1].rstrip(".")
        return shorter if len(shorter) >= 3 else longest[:3]
    head = code[:3]
    if session.scalar(select(exists().where(CatalogCode.system == system, _code(session) > head,
                                            _code(session) < head + "~"))):
        return head
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    near = {head[:i] + ch + head[i + 1:] for i in range(3) for ch in alphabet}
    near |= {head[1] + head[0] + head[2], head[0] + head[2] + head[1]}
    found = list(session.scalars(select(CatalogCode.code).where(CatalogCode.system == system,
                                                                CatalogCode.code.in_(near - {head}))))
    return min(found, key=lambda c: (_distance(head, c), -_common(head, c), c)) if found else None


def _distance(a: str, b: str) -> int:
    """Edit distance counting a swap of neighbours as one edit (optimal string alignment)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def _common(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


# --- plain text -----------------------------------------------------------------------------------

def status_text(detail: CodeDetail) -> str:
    """The status in words; for a code the catalog does not have, with the release it rests on and its dates."""
    if detail.status in (Status.INVALID, Status.NOT_IN_FILE, Status.NOT_COVERED) and detail.descriptor is None \
            and detail.system != SHAPELESS:
        if detail.system == "modifier" and detail.status == Status.NOT_IN_FILE:
            cited = f" ({detail.release.cited})" if detail.release else ""
            return f"not in the loaded modifier lists{cited}"
        return missing_text(detail.status, detail.system, detail.release, detail.on)
    if detail.kind == "modifier" and detail.status == Status.BILLABLE:
        return "valid modifier"
    if detail.kind in ("block", "chapter") and detail.status == Status.HEADER:
        return f"{detail.kind} of categories: not billable"
    return STATUS_TEXT.get(detail.status, detail.status)


def format_detail(detail: CodeDetail) -> str:
    """Short and exact, for coders: what the code is, what the tabular says around it, what applies."""
    lines = [f"{detail.code}  {detail.system_name}  {status_text(detail)}"
             f"  (date of service {detail.on.isoformat()})"]
    if detail.descriptor:
        lines.append(detail.descriptor)
    lines += [f"! {remark}" for remark in detail.remarks]
    if detail.lineage:
        lines.append("Under: " + " < ".join(
            f"{'chapter ' if r.kind == 'chapter' else ''}{r.code} {r.descriptor}" for r in detail.lineage))
    if detail.lay and detail.status != Status.INVALID:  # lay text describes a code that exists
        lines.append(f"In plain words: {detail.lay.text}")
        lines.append(f"  ({detail.lay.author}, {detail.lay.written_at.date().isoformat()})")
    if detail.suggestions:
        lines.append("")
        lines.append("Did you mean:")
        lines += [f"  {r.code}  {r.descriptor}" for r in detail.suggestions]
    if detail.children_total:
        lines.append("")
        label = "Billable codes under it" if detail.kind == Status.HEADER else "Contains"
        lines.append(f"{label} ({detail.children_total}):")
        lines += [f"  {r.code}  {r.descriptor}" for r in detail.children]
        if detail.children_total > len(detail.children):
            lines.append(f"  ... and {detail.children_total - len(detail.children)} more")
    for kind, notes in detail.notes.items():
        lines.append("")
        lines.append(f"{KIND_LABELS.get(kind, kind)}:")
        for note in notes:
            lines.append(f"  - {note.text}" + (f"  [from {note.inherited_from}]" if note.inherited_from else ""))
    if detail.ncci is not None:
        lines.append("")
        lines += _format_ncci(detail)
    if detail.system in ("cpt", "hcpcs"):
        lines += [f"MUE {m.setting}: {m.value} unit(s) "
                  f"{ADJUDICATION_INDICATORS_SHORT.get(m.adjudication_indicator, '')}".rstrip()
                  + (f" - {m.rationale}" if m.rationale else "") for m in detail.mue]
        checked = [t for t in detail.mue_tables if t.checked]
        if not detail.mue and checked:
            lines.append("MUE: none in force on the date in the tables checked")
        lines += _table_lines(detail.mue_tables, detail.on)
    if detail.sources:
        lines.append("")
        lines.append("Sources:")
        lines += [f"  {s.what}: {s.version + ' - ' if s.version else ''}{s.source}" for s in detail.sources]
    return "\n".join(lines)


def _table_lines(tables: list[TableCheck], on: date) -> list[str]:
    checked = [t for t in tables if t.checked]
    lines = [f"  checked for {on.isoformat()}: " + "; ".join(f"{t.name} [{t.cited}]" for t in checked)] if checked else []
    missing = [t for t in tables if not t.checked]
    if missing:
        lines.append("  not checked: " + "; ".join(f"{t.name} ({t.reason})" for t in missing))
    return lines


def _format_ncci(detail: CodeDetail) -> list[str]:
    ncci = detail.ncci
    if not ncci.checked:
        return ["NCCI PTP: not checked for the date", *_table_lines(ncci.tables, detail.on)]
    if not ncci.total:
        return ["NCCI PTP: no edit in force on the date in the tables checked", *_table_lines(ncci.tables, detail.on)]
    lines = [f"NCCI PTP: {ncci.total} edit(s) in force; column 1 in {ncci.as_column1} "
             f"(the other code is bundled into {detail.code}), column 2 in {ncci.as_column2}"]
    for pair in ncci.pairs:
        indicator = MODIFIER_INDICATORS_SHORT.get(pair["modifier_indicator"], pair["modifier_indicator"])
        lines.append(f"  {pair['column1']} / {pair['column2']}  {pair['setting']}, {indicator}"
                     f", effective {pair['effective_date']}" + (f" - {pair['rationale']}" if pair["rationale"] else ""))
    if ncci.total > len(ncci.pairs):
        lines.append(f"  ... and {ncci.total - len(ncci.pairs)} more")
    return lines + _table_lines(ncci.tables, detail.on)
