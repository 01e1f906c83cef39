"""Question text -> what the code sets say: each code's status, notes and limits, and every pair
finding among the codes (Excludes1/Excludes2, NCCI PTP, MUE), each with its source and version, and
for each code the reason, if any, that no table pairing it with another was checked for the date."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy.orm import Session

from consultant.codes.check import CheckResult, check_codes
from consultant.codes.lookup import SYSTEM_NAMES, CodeFact, Status
from consultant.codes.mentions import MODIFIER, Mention, find_mentions
from consultant.codes.releases import NCCI_TABLES
from consultant.codes.show import CodeDetail, code_detail

PROCEDURE_SYSTEMS = frozenset({"cpt", "hcpcs"})  # only these have NCCI edits and MUEs
_FACT_STATUSES = frozenset({Status.BILLABLE, Status.HEADER, Status.INVALID, Status.NOT_IN_FILE, Status.NOT_COVERED,
                            Status.LICENSED_TEXT_MISSING, Status.CODE_SET_NOT_LOADED, Status.DELETED})


@dataclass(frozen=True)
class Enrichment:
    facts: list[CodeFact]
    details: list[CodeDetail] = field(default_factory=list)  # in the order of `facts`
    check: CheckResult | None = None
    keys: list[tuple[str, str]] = field(default_factory=list)  # the mention each fact answers, (system, code)
    modifiers: list[CodeDetail] = field(default_factory=list)
    on: date | None = None  # the date of service the facts are for

    def fact_for(self, key: tuple[str, str]) -> CodeFact | None:
        return self.facts[self.keys.index(key)] if key in self.keys else None

    def detail_for(self, key: tuple[str, str]) -> CodeDetail | None:
        return self.details[self.keys.index(key)] if key in self.keys and self.details else None

    @property
    def by_mention(self) -> dict[tuple[str, str], CodeFact]:
        return dict(zip(self.keys, self.facts))

    @property
    def described_modifiers(self) -> frozenset[str]:
        return frozenset(d.code for d in self.modifiers if d.status == Status.BILLABLE and d.descriptor)

    @property
    def mue_codes(self) -> frozenset[str]:
        found = {d.code for d in self.details if d.mue}
        return frozenset(found | {f.code for f in self.check.mue} if self.check else found)

    def as_dict(self) -> dict:
        """JSON-ready, to keep with the question."""
        data = {
            "codes": [f.as_dict() for f in self.facts],
            "details": [d.as_dict() for d in self.details],
            "check": self.check.as_dict() if self.check else None,
            "modifiers": [d.as_dict() for d in self.modifiers],
        }
        return json.loads(json.dumps(data, default=str))


def enrich(session: Session, text: str, on: date | None = None) -> Enrichment:
    on = on or date.today()
    found = _distinct(find_mentions(text))
    mentions = [m for m in found if m.system in SYSTEM_NAMES]
    modifiers = [code_detail(session, m.code, system=MODIFIER, on=on) for m in found if m.system == MODIFIER]
    if not mentions:
        return Enrichment([], modifiers=modifiers, on=on)
    details = [code_detail(session, m.code, system=m.system, on=on) for m in mentions]
    facts = [_fact(detail) for detail in details]
    procedures = any(f.system in PROCEDURE_SYSTEMS for f in facts)
    check = check_codes(session, [f.code for f in facts], on=on) if len(facts) > 1 or procedures else None
    if check is not None:
        facts = [replace(f, pairs_unchecked=pairs_unchecked(check, f.system)) for f in facts]
    return Enrichment(facts, details, check, [(m.system, m.code) for m in mentions], modifiers, on)


def pairs_unchecked(check: CheckResult, system: str) -> str | None:
    """Why no table that pairs a `system` code with another was checked for the date, or None: the Excludes
    notes for ICD-10-CM codes, the NCCI PTP edits (either setting will do) for CPT and HCPCS codes."""
    names = ("excludes",) if system == "icd10cm" else NCCI_TABLES if system in PROCEDURE_SYSTEMS else ()
    tables = [t for t in map(check.table, names) if t is not None]
    if not tables or any(t.checked for t in tables):
        return None
    return "; ".join(f"{t.name}: {t.reason}" for t in tables)


def _distinct(mentions: list[Mention]) -> list[Mention]:
    seen: set[tuple[str, str]] = set()
    return [m for m in mentions if (m.system, m.code) not in seen and not seen.add((m.system, m.code))]


def _fact(detail: CodeDetail) -> CodeFact:
    """The routing view of a code, from the detail (one lookup, not two). A code the catalog does not have
    cites the release it was looked up in, and the dates that release covers."""
    described = next((s for s in detail.sources if s.what.startswith("descriptor")), None)
    status = detail.status if detail.status in _FACT_STATUSES else Status.INVALID
    if described is None and detail.release is not None:
        return CodeFact(detail.system, detail.code, status, None, detail.release.source, detail.release.version,
                        detail.release.dates)
    return CodeFact(detail.system, detail.code, status, detail.descriptor if status != Status.INVALID else None,
                    described.source if described else None, described.version if described else None)
