"""What the catalog says about a code: its descriptor and status, with the source of the text.

A code the catalog does not have is judged by the release of its set (consultant/codes/releases.py):
invalid only when a full official release covers the date of service."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from consultant.codes.mentions import Mention
from consultant.codes.models import CatalogCode

SYSTEM_NAMES = {"icd10cm": "ICD-10-CM", "cpt": "CPT", "hcpcs": "HCPCS Level II", "pcs": "ICD-10-PCS"}


class Status:
    BILLABLE = "billable"
    HEADER = "header"
    INVALID = "invalid"  # not in the full official release, which covers the date of service
    NOT_IN_FILE = "not-in-loaded-file"  # not in a file that does not define the code set (CPT, partial)
    NOT_COVERED = "release-does-not-cover-date"  # not in the full release, which does not cover the date
    LICENSED_TEXT_MISSING = "licensed-text-missing"
    CODE_SET_NOT_LOADED = "code-set-not-loaded"
    DELETED = "deleted"  # no longer valid on the date of service
    DESCRIBABLE = frozenset({BILLABLE, HEADER})
    MISSING = frozenset({INVALID, NOT_IN_FILE, NOT_COVERED, LICENSED_TEXT_MISSING, CODE_SET_NOT_LOADED})


@dataclass(frozen=True)
class CodeFact:
    system: str
    code: str
    status: str
    descriptor: str | None = None
    source: str | None = None
    version: str | None = None  # of the descriptor; for a missing code, of the release it was looked up in
    dates: str | None = None  # the dates of service that release covers ("2025-10-01 to 2026-09-30")
    pairs_unchecked: str | None = None  # why no table that pairs this code with another was checked

    @property
    def system_name(self) -> str:
        return SYSTEM_NAMES.get(self.system, self.system)

    @property
    def status_label(self) -> str:
        """The status, with the release it rests on when the code is not in the catalog."""
        if self.status in (Status.INVALID, Status.NOT_IN_FILE, Status.NOT_COVERED) and self.version:
            return f"{self.status}: {self.version}" + (f", {self.dates}" if self.dates else "")
        return self.status

    def as_dict(self) -> dict:
        return asdict(self)


def describe(session: Session, mentions: list[Mention], on: date | None = None) -> list[CodeFact]:
    """Facts for the code mentions on `on` (today when not given); modifiers are not codes to describe
    on their own and are left out."""
    from consultant.codes.releases import Releases, missing_code

    on = on or date.today()
    mentions = [m for m in mentions if m.system in SYSTEM_NAMES]
    if not mentions:
        return []
    keys = [(m.system, m.code) for m in mentions]
    rows = session.execute(
        select(
            CatalogCode.system, CatalogCode.code, CatalogCode.descriptor, CatalogCode.kind,
            CatalogCode.source, CatalogCode.version,
        ).where(CatalogCode.system.in_({m.system for m in mentions}), CatalogCode.code.in_({m.code for m in mentions}))
    ).all()
    found = {(r.system, r.code): r for r in rows}
    releases = Releases.read(session, {m.system for m in mentions})
    facts = []
    for system, code in keys:
        row = found.get((system, code))
        if row is None:
            loaded = bool(session.scalar(select(exists().where(CatalogCode.system == system))))
            status, release = missing_code(system, on, releases, loaded)
            facts.append(CodeFact(system, code, status, version=release.version if release else None,
                                  dates=release.dates if release else None))
        elif row.kind not in (Status.BILLABLE, Status.HEADER):
            facts.append(CodeFact(system, code, Status.HEADER, row.descriptor, row.source, row.version))
        else:
            facts.append(CodeFact(system, code, row.kind, row.descriptor, row.source, row.version))
    return facts
