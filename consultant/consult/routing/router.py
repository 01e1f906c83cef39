from __future__ import annotations

from dataclasses import dataclass

from consultant.codes.lookup import CodeFact
from consultant.consult.routing.rules import RULES, Rule

AUTO = "auto"
REVIEW = "review"


@dataclass(frozen=True)
class Decision:
    route: str
    reasons: tuple[str, ...]


def decide(text: str, facts: list[CodeFact], rules: tuple[Rule, ...] = RULES) -> Decision:
    reasons = tuple(reason for rule in rules if (reason := rule(text, facts)))
    return Decision(REVIEW if reasons else AUTO, reasons)
