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

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        return (f"{self.version} from {self.source}: {self.rows} rows, {self.added} added, "
                f"{self.changed} changed, {self.removed} removed (release {self.release_id})")


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


def new_release(session: Session, system: str, source: str, version: str) -> CatalogRelease:
    release = CatalogRelease(system=system, source=source, version=version)
    session.add(release)
    session.flush()
    return release


def sync_codes(
    session: Session, system: str, rows: Iterable[CodeRow], *, source: str, version: str, remove_missing: bool = True,
    owned: dict | None = None,
) -> ImportReport:
    """Make the catalog's `system` rows equal to `rows`, in place, recording every change.

    `owned` narrows removal to the rows whose attributes include those items: several files share the
    "modifier" system ({"set": "hcpcs"}, {"set": "cpt"}) and one must not remove the other's rows."""
    release = new_release(session, system, source, version)
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
    return ImportReport(system, source, version, release.id, len(new_rows), changed_codes, len(removed), len(incoming))


def _owns(attributes: dict | None, owned: dict | None) -> bool:
    return not owned or all((attributes or {}).get(k) == v for k, v in owned.items())


def _change(release_id: int, system: str, code: str, change: str, field_name: str | None = None,
            old=None, new=None) -> dict:
    return {"release_id": release_id, "system": system, "code": code, "change": change, "field": field_name,
            "old": None if old is None else str(old), "new": None if new is None else str(new)}
