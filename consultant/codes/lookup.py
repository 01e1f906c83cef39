"""What the catalog says about a code: its descriptor and status, with the source of the text."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.codes.mentions import Mention
from consultant.codes.models import CatalogCode

SYSTEM_NAMES = {"icd10cm": "ICD-10-CM", "cpt": "CPT", "hcpcs": "HCPCS Level II", "pcs": "ICD-10-PCS"}


class Status:
    BILLABLE = "billable"
    HEADER = "header"
    INVALID = "invalid"
    LICENSED_TEXT_MISSING = "licensed-text-missing"
    CODE_SET_NOT_LOADED = "code-set-not-loaded"
    DELETED = "deleted"  # no longer valid on the date of service
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
    """Facts for the code mentions; modifiers are not codes to describe on their own and are left out."""
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
    facts = []
    for system, code in keys:
        row = found.get((system, code))
        if row is None:
            facts.append(CodeFact(system, code, _missing_status(session, system)))
        elif row.kind not in (Status.BILLABLE, Status.HEADER):
            facts.append(CodeFact(system, code, Status.HEADER, row.descriptor, row.source, row.version))
        else:
            facts.append(CodeFact(system, code, row.kind, row.descriptor, row.source, row.version))
    return facts


def _missing_status(session: Session, system: str) -> str:
    """A code absent from a loaded code set is invalid. With the set not loaded at all it cannot be
    judged: CPT text comes only from a licensee's file; the CMS files are imported by the operator."""
    if session.scalar(select(CatalogCode.id).where(CatalogCode.system == system).limit(1)) is not None:
        return Status.INVALID
    return Status.LICENSED_TEXT_MISSING if system == "cpt" else Status.CODE_SET_NOT_LOADED
