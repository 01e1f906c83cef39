"""What the catalog says about a code: its descriptor and status, with the source of the text."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.codes.mentions import Mention
from consultant.db.models import CatalogCode

SYSTEM_NAMES = {"icd10cm": "ICD-10-CM", "cpt": "CPT", "hcpcs": "HCPCS Level II", "pcs": "ICD-10-PCS"}


class Status:
    BILLABLE = "billable"
    HEADER = "header"
    INVALID = "invalid"
    LICENSED_TEXT_MISSING = "licensed-text-missing"
    DESCRIBABLE = frozenset({BILLABLE, HEADER})


@dataclass(frozen=True)
class CodeFact:
    system: str
    code: str
    status: str
    descriptor: str | None = None
    source: str | None = None
    version: str | None = None

    @property
    def system_name(self) -> str:
        return SYSTEM_NAMES.get(self.system, self.system)

    def as_dict(self) -> dict:
        return asdict(self)


def describe(session: Session, mentions: list[Mention]) -> list[CodeFact]:
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
    facts = []
    for system, code in keys:
        row = found.get((system, code))
        if row is None:
            status = Status.LICENSED_TEXT_MISSING if _unlicensed(session, system) else Status.INVALID
            facts.append(CodeFact(system, code, status))
        elif row.kind not in (Status.BILLABLE, Status.HEADER):
            facts.append(CodeFact(system, code, Status.HEADER, row.descriptor, row.source, row.version))
        else:
            facts.append(CodeFact(system, code, row.kind, row.descriptor, row.source, row.version))
    return facts


def _unlicensed(session: Session, system: str) -> bool:
    """CPT text comes only from a licensee's file: without one, a CPT-shaped code cannot be judged;
    with one loaded, a code missing from it is invalid like any other."""
    if system != "cpt":
        return False
    return session.scalar(select(CatalogCode.id).where(CatalogCode.system == "cpt").limit(1)) is None
