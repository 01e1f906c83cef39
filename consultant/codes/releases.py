"""What each loaded release can speak for, and therefore what the catalog may say.

A release (one imported file, `catalog_release`) knows
- whether it is the **full official release** of its code set (`full`). Only a full release defines
  which codes exist: a well-formed code missing from it is invalid, and only for the dates of service
  the release covers. ICD-10-CM loaded from the packaged CMS data is full. A licensee's CPT file never
  is: it is a source of descriptors, and a CPT code missing from it is "not in the loaded CPT file".
  An HCPCS Level II or ICD-10-PCS file is full when the importer was told so (`--full`) or when it has
  the official file's size and sections (see the importers); otherwise it is partial, like CPT.
- the **dates of service it covers** (`valid_from`, `valid_to`; None when the file does not say).
- the **table** an edit file fills (`setting`: NCCI PTP practitioner/hospital, MUE practitioner/...).

Two rules follow, each stated once here:
- a missing code is `invalid` only when the newest release of its set is full and known to cover the
  date of service (`missing_code`); after a partial file the set has no defining release;
- a table (Excludes notes, an NCCI or MUE setting) was *checked* for a date only when it is loaded and a
  release of it covers the date, a bound the file does not state counting as open (`TableCheck`); the
  text then says the dates are not stated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import bindparam, select

from consultant.codes.lookup import SYSTEM_NAMES, Status
from consultant.codes.models import CatalogRelease

ICD = "icd10cm"
TABLES: dict[str, tuple[str, str, str | None]] = {  # table -> (name, release system, setting)
    "excludes": ("ICD-10-CM Excludes notes", ICD, None),
    "ncci:practitioner": ("NCCI PTP practitioner edits", "ncci-ptp", "practitioner"),
    "ncci:hospital": ("NCCI PTP hospital edits", "ncci-ptp", "hospital"),
    "mue:practitioner": ("MUE practitioner table", "mue", "practitioner"),
    "mue:outpatient-hospital": ("MUE outpatient hospital table", "mue", "outpatient-hospital"),
    "mue:dme": ("MUE DME table", "mue", "dme"),
}
NCCI_TABLES = ("ncci:practitioner", "ncci:hospital")
MUE_TABLES = ("mue:practitioner", "mue:outpatient-hospital", "mue:dme")


# --- dates ------------------------------------------------------------------------------------------

def fiscal_year(year: int) -> tuple[date, date]:
    """The US federal fiscal year ICD-10-CM and ICD-10-PCS releases follow: FY2026 is 2025-10-01 to 2026-09-30."""
    return date(year - 1, 10, 1), date(year, 9, 30)


def fiscal_year_of(day: date) -> int:
    return day.year + 1 if day.month >= 10 else day.year


def quarter(year: int, number: int) -> tuple[date, date]:
    """Calendar quarter `number` (1-4) of `year`: the period a quarterly CMS file is published for."""
    start = date(year, 3 * number - 2, 1)
    return start, _quarter_end(start)


def quarter_of(day: date) -> tuple[date, date]:
    return quarter(day.year, (day.month - 1) // 3 + 1)


def calendar_year(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def _quarter_end(start: date) -> date:
    month = start.month + 3
    after = date(start.year + (month > 12), (month - 1) % 12 + 1, 1)
    return after - timedelta(days=1)


# --- releases -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReleaseView:
    version: str
    source: str
    full: bool = False
    valid_from: date | None = None
    valid_to: date | None = None
    system: str | None = None
    setting: str | None = None
    id: int | None = None

    def covers(self, on: date) -> bool:
        """Not excluded by a stated bound (a bound the file does not state is open)."""
        return (self.valid_from is None or self.valid_from <= on) and (self.valid_to is None or on <= self.valid_to)

    def covers_known(self, on: date) -> bool:
        """Both bounds stated, and `on` between them: what declaring a code invalid needs."""
        return self.valid_from is not None and self.valid_to is not None and self.covers(on)

    @property
    def dates(self) -> str:
        if self.valid_from and self.valid_to:
            return f"{self.valid_from.isoformat()} to {self.valid_to.isoformat()}"
        if self.valid_from:
            return f"from {self.valid_from.isoformat()}"
        if self.valid_to:
            return f"through {self.valid_to.isoformat()}"
        return "dates not stated"

    @property
    def cited(self) -> str:
        """"ICD-10-CM 2026, 2025-10-01 to 2026-09-30"."""
        return f"{self.version}, {self.dates}"

    def as_dict(self) -> dict:
        return {"version": self.version, "source": self.source, "full": self.full,
                "valid_from": self.valid_from.isoformat() if self.valid_from else None,
                "valid_to": self.valid_to.isoformat() if self.valid_to else None, "dates": self.dates}


_COLUMNS = CatalogRelease.__table__.c
_RELEASES = (select(_COLUMNS.id, _COLUMNS.system, _COLUMNS.setting, _COLUMNS.version, _COLUMNS.source,
                    _COLUMNS.full, _COLUMNS.valid_from, _COLUMNS.valid_to)
             .where(_COLUMNS.system.in_(bindparam("systems", expanding=True)))
             .order_by(_COLUMNS.id.desc()))


class Releases:
    """The releases of some systems, newest first, read in one statement (the table is small)."""

    def __init__(self, rows) -> None:
        self.rows = [ReleaseView(r.version, r.source, bool(r.full), r.valid_from, r.valid_to, r.system, r.setting, r.id)
                     for r in rows]

    @classmethod
    def read(cls, db, systems) -> Releases:
        """`db`: a Session or a Connection."""
        return cls(db.execute(_RELEASES, {"systems": sorted(set(systems))}))

    def of(self, system: str, setting: str | None = None) -> list[ReleaseView]:
        return [r for r in self.rows if r.system == system and (setting is None or r.setting == setting)]

    def newest(self, system: str) -> ReleaseView | None:
        return next(iter(self.of(system)), None)


# --- a code the catalog does not have -------------------------------------------------------------------

def missing_code(system: str, on: date, releases: Releases, rows_exist: bool,
                 fallback: ReleaseView | None = None) -> tuple[str, ReleaseView | None]:
    """The status of a well-formed `system` code absent from the catalog on `on`, and the release it rests on.

    No rows of the set: CPT needs the licensee's file, the others were not imported. The newest release
    full and known to cover the date: invalid. Full but not covering it: not judged for that date. Otherwise
    (a licensee's CPT file, a partial file, or a partial file after a full one): not in the loaded file.
    `fallback` names the set's rows when no release row was recorded for them."""
    if not rows_exist:
        return (Status.LICENSED_TEXT_MISSING if system == "cpt" else Status.CODE_SET_NOT_LOADED), None
    newest = releases.newest(system) or fallback
    if newest is None or not newest.full:
        return Status.NOT_IN_FILE, newest
    if newest.covers_known(on):
        return Status.INVALID, newest
    return Status.NOT_COVERED, newest


def missing_text(status: str, system: str, release: ReleaseView | None, on: date) -> str:
    """What a missing code's status means, naming the release and its dates."""
    name = SYSTEM_NAMES.get(system, system)
    cited = f" ({release.cited})" if release else ""
    if status == Status.INVALID and release:
        return f"not a valid code in {release.cited}"
    if status == Status.NOT_IN_FILE:
        return f"not in the loaded {name} file{cited}"
    if status == Status.NOT_COVERED:
        if release and release.valid_from and release.valid_to:
            return (f"not in {release.version}, which covers {release.dates}: no loaded release covers "
                    f"{on.isoformat()}, so its validity is not checked")
        return f"not in {release.version if release else name} (its dates are not stated), so its validity is not checked"
    return status


# --- tables -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TableCheck:
    """Whether one table (Excludes notes, an NCCI PTP or MUE setting) was checked for a date, and with what."""

    table: str
    on: date
    loaded: bool
    release: ReleaseView | None = None  # the release the check rests on (None: rows without a recorded release)

    @property
    def name(self) -> str:
        return TABLES[self.table][0]

    @property
    def checked(self) -> bool:
        return self.loaded and (self.release is None or self.release.covers(self.on))

    @property
    def reason(self) -> str | None:
        """Why it was not checked; None when it was."""
        if self.checked:
            return None
        if not self.loaded:
            return "not imported"
        return f"{self.release.version} covers {self.release.dates}, not {self.on.isoformat()}"

    @property
    def cited(self) -> str:
        return self.release.cited if self.release else "release not recorded"

    def as_dict(self) -> dict:
        return {"table": self.table, "name": self.name, "checked": self.checked, "loaded": self.loaded,
                "release": self.release.as_dict() if self.release else None, "reason": self.reason}


def table_check(table: str, on: date, loaded: bool, releases: Releases) -> TableCheck:
    """Excludes notes come with the newest ICD-10-CM release (they are replaced on each load). An NCCI or
    MUE setting keeps its history across files, so any of its releases that covers the date will do."""
    _, system, setting = TABLES[table]
    found = releases.of(system, setting)
    if table == "excludes":
        return TableCheck(table, on, loaded, found[0] if found else None)
    covering = next((r for r in found if r.covers(on)), None)
    return TableCheck(table, on, loaded, covering or (found[0] if found else None))


def table_systems() -> set[str]:
    return {system for _, system, _ in TABLES.values()}
