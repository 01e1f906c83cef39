from __future__ import annotations

from dataclasses import dataclass

from consultant.consult.routing.rules import RULES, Case, Rule

AUTO = "auto"
REVIEW = "review"


@dataclass(frozen=True)
class Decision:
    route: str
    reasons: tuple[str, ...]


def decide(case: Case, rules: tuple[Rule, ...] = RULES) -> Decision:
    """Every rule is asked; one reason is enough to hold the question for a reviewer."""
    reasons = tuple(reason for rule in rules if (reason := rule(case)))
    return Decision(REVIEW if reasons else AUTO, reasons)
