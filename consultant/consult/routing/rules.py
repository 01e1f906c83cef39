"""Routing rules: each looks at a case and returns a reason to hold it for a reviewer, or None.
Rules never act; the router decides from all reasons."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from consultant.codes.lookup import CodeFact, Status


@dataclass(frozen=True)
class Case:
    """What routing may look at: the question text, what the catalog says, what screening flagged."""

    text: str
    facts: list[CodeFact]
    phi_kinds: list[str] = field(default_factory=list)  # kinds of the PHI spans found in subject or text


Rule = Callable[[Case], str | None]


def phi_present(case: Case) -> str | None:
    if not case.phi_kinds:
        return None
    return f"possible patient identifiers ({', '.join(sorted(set(case.phi_kinds)))}): a person must answer"


def no_code_found(case: Case) -> str | None:
    if not case.facts:
        return "no code found in the question"
    return None


def code_not_describable(case: Case) -> str | None:
    missing = [f for f in case.facts if f.status not in Status.DESCRIBABLE]
    if not missing:
        return None
    described = ", ".join(f"{f.system_name} {f.code} ({f.status})" for f in missing)
    return f"the catalog cannot describe {described}"


RULES: tuple[Rule, ...] = (phi_present, no_code_found, code_not_describable)
