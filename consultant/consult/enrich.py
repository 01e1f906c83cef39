"""Question text -> what the code sets say: each code's status, notes and limits, and every pair
finding among the codes (Excludes1/Excludes2, NCCI PTP, MUE), each with its source and version."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from consultant.codes.check import CheckResult, check_codes
from consultant.codes.lookup import CodeFact, describe
from consultant.codes.mentions import find_mentions
from consultant.codes.show import CodeDetail, code_detail

MODIFIER = "modifier"


@dataclass(frozen=True)
class Enrichment:
    facts: list[CodeFact]
    details: list[CodeDetail] = field(default_factory=list)  # in the order of `facts`
    check: CheckResult | None = None

    def as_dict(self) -> dict:
        """JSON-ready, to keep with the question."""
        data = {
            "codes": [f.as_dict() for f in self.facts],
            "details": [d.as_dict() for d in self.details],
            "check": self.check.as_dict() if self.check else None,
        }
        return json.loads(json.dumps(data, default=str))


def enrich(session: Session, text: str, on: date | None = None) -> Enrichment:
    mentions = [m for m in find_mentions(text) if m.system != MODIFIER]
    facts = describe(session, mentions)
    if not facts:
        return Enrichment(facts)
    details = [code_detail(session, f.code, system=f.system, on=on) for f in facts]
    return Enrichment(facts, details, check_codes(session, [f.code for f in facts], on=on))
