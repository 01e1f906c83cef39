"""What every importer shares: a strict parse that names the bad line, then one transaction that
updates the code set in place and records what changed against the previous release."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from consultant.codes.models import CatalogChange, CatalogCode, CatalogRelease

TRACKED_FIELDS = ("descriptor", "short_descriptor", "kind", "parent", "effective_date", "deletion_date", "attributes")


class ImportFormatError(ValueError):
    """The file is not in the expected layout; nothing was imported."""

    def __init__(self, line: int, reason: str, source: str = "") -> None:
        self.line, self.reason, self.source = line, reason, source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}line {line}: {reason}")


@dataclass(frozen=True)
class CodeRow:
    code: str
    descriptor: str
    kind: str = "billable"
    short_descriptor: str | None = None
    parent: str | None = None
    effective_date: date | None = None
    deletion_date: date | None = None
    attributes: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ImportReport:
    system: str
    source: str
    version: str
    release_id: int
    added: int
    changed: int
    removed: int
    rows: int
    full: bool = False  # the whole official release of its code set (or, for an edit table, a whole file)
    dates: str = "dates not stated"  # the dates of service the release covers
    basis: str = ""  # why it was taken as full or not

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        return (f"{self.version} from {self.source}: {self.rows} rows, {self.added} added, "
                f"{self.changed} changed, {self.removed} removed (release {self.release_id}); {self.scope()}")

    def scope(self) -> str:
        if self.system in CODE_SETS:
            what = ("full official release: a code missing from it is invalid" if self.full else
                    "a source of descriptors, not the whole code set: a code missing from it is "
                    "\"not in the loaded file\", never invalid")
        else:
            what = "whole file" if self.full else "part file"
        return f"{what}" + (f" ({self.basis})" if self.basis else "") + f"; dates of service: {self.dates}"


CODE_SETS = frozenset({"icd10cm", "cpt", "hcpcs", "pcs", "modifier"})


def read_lines(path: Path, encoding: str = "utf-8") -> list[str]:
    """The file's lines without line ends; CMS files are sometimes Windows-1252, never mixed."""
    data = path.read_bytes()
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return text.lstrip("\ufeff").splitlines()


def chunks(items: list, size: int) -> Iterator[list]:
    """`items` in slices of at most `size`, one statement each."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


@dataclass(frozen=True)
class Coverage:
    """What a release speaks for (see consultant/codes/releases.py): the whole official release of its
    code set or not, the dates of service it covers (None: not stated), the edit table it fills."""

    full: bool = False
    valid_from: date | None = None
    valid_to: date | None = None
    setting: str | None = None
    basis: str = ""  # why full or not, for the import report

    def dates(self) -> str:
        from consultant.codes.releases import ReleaseView

        return ReleaseView("", "", self.full, self.valid_from, self.valid_to).dates


def official_file(given: bool | None, codes: Iterable[str], minimum: int, sections: str, what: str) -> tuple[bool, str]:
    """Is this the whole official file of a code set? `--full`/`--partial` decide when given. Otherwise the
    official file is recognised by its size and its sections: CMS's file lists every code of the set, many
    thousands across every section (first character), and an extract of the codes a practice uses has far
    fewer or misses sections. Returns (full, the reason, for the import report)."""
    if given is not None:
        return given, "--full given" if given else "--partial given"
    codes = list(codes)
    missing = sorted(set(sections) - {code[:1] for code in codes})
    hint = "taken as a partial file (give --full if it is the whole official file)"
    if len(codes) < minimum:
        return False, f"{len(codes):,} {what}, fewer than the {minimum:,} the official file has: {hint}"
    if missing:
        return False, f"no {what} in section(s) {', '.join(missing)}: {hint}"
    return True, f"{len(codes):,} {what} in every section: the whole official file"


def new_release(session: Session, system: str, source: str, version: str,
                coverage: Coverage | None = None) -> CatalogRelease:
    coverage = coverage or Coverage()
    release = CatalogRelease(system=system, source=source, version=version, full=coverage.full,
                             valid_from=coverage.valid_from, valid_to=coverage.valid_to, setting=coverage.setting)
    session.add(release)
    session.flush()
    return release


def sync_codes(
    session: Session, system: str, rows: Iterable[CodeRow], *, source: str, version: str, remove_missing: bool = True,
    owned: dict | None = None, coverage: Coverage | None = None,
) -> ImportReport:
    """Make the catalog's `system` rows equal to `rows`, in place, recording every change.

    `owned` narrows removal to the rows whose attributes include those items: several files share the
    "modifier" system ({"set": "hcpcs"}, {"set": "cpt"}) and one must not remove the other's rows.
    `coverage` is what the release speaks for (default: a partial file, dates not stated)."""
    coverage = coverage or Coverage()
    release = new_release(session, system, source, version, coverage)
    incoming = {row.code: row for row in rows}
    current = {r.code: r for r in session.execute(
        select(CatalogCode.id, CatalogCode.code, *[getattr(CatalogCode, f) for f in TRACKED_FIELDS])
        .where(CatalogCode.system == system)
    )}
    changes: list[dict] = []
    new_rows: list[dict] = []
    updates: list[dict] = []
    for code, row in incoming.items():
        values = {f: getattr(row, f) for f in TRACKED_FIELDS}
        old = current.get(code)
        if old is None:
            new_rows.append({"system": system, "code": code, "source": source, "version": version,
                             "release_id": release.id, **values})
            changes.append(_change(release.id, system, code, "added"))
            continue
        moved = [f for f in TRACKED_FIELDS if getattr(old, f) != values[f]]
        updates.append({"id": old.id, "source": source, "version": version, "release_id": release.id, **values})
        changes += [_change(release.id, system, code, "changed", f, getattr(old, f), values[f]) for f in moved]
    removed = [code for code, old in current.items()
               if code not in incoming and _owns(old.attributes, owned)] if remove_missing else []
    if removed:
        session.execute(delete(CatalogCode).where(CatalogCode.system == system, CatalogCode.code.in_(removed)))
        changes += [_change(release.id, system, code, "removed") for code in removed]
    for start in range(0, len(updates), 5000):  # executemany by primary key: one statement, not one per row
        session.execute(update(CatalogCode), updates[start:start + 5000])
    for start in range(0, len(new_rows), 5000):
        session.execute(insert(CatalogCode), new_rows[start:start + 5000])
    for start in range(0, len(changes), 5000):
        session.execute(insert(CatalogChange), changes[start:start + 5000])
    changed_codes = len({c["code"] for c in changes if c["change"] == "changed"})
    release.added, release.changed, release.removed = len(new_rows), changed_codes, len(removed)
    return ImportReport(system, source, version, release.id, len(new_rows), changed_codes, len(removed), len(incoming),
                        coverage.full, coverage.dates(), coverage.basis)


def _owns(attributes: dict | None, owned: dict | None) -> bool:
    return not owned or all((attributes or {}).get(k) == v for k, v in owned.items())


def _change(release_id: int, system: str, code: str, change: str, field_name: str | None = None,
            old=None, new=None) -> dict:
    return {"release_id": release_id, "system": system, "code": code, "change": change, "field": field_name,
            "old": None if old is None else str(old), "new": None if new is None else str(new)}
