"""The decision: every rule is asked; one reason is enough to hold a question for a reviewer.

Each question gets its own route, so an email asking three things can have two answered at once and
the third held. The email's route is review when anything is held: the email rules hold it whole."""

from __future__ import annotations

from dataclasses import dataclass

from consultant.consult.routing.rules import EMAIL_RULES, QUESTION_RULES, Case, EmailRule, QuestionRule

AUTO = "auto"
REVIEW = "review"


@dataclass(frozen=True)
class QuestionRoute:
    number: int
    route: str
    reasons: tuple[str, ...]

    def as_dict(self) -> dict:
        return {"number": self.number, "route": self.route, "reasons": list(self.reasons)}


@dataclass(frozen=True)
class Decision:
    route: str
    reasons: tuple[str, ...]  # the email's own reasons, then each question's, numbered when there are several
    questions: tuple[QuestionRoute, ...] = ()

    @property
    def answered_now(self) -> tuple[int, ...]:
        return tuple(q.number for q in self.questions if q.route == AUTO)


def decide(case: Case, email_rules: tuple[EmailRule, ...] = EMAIL_RULES,
           question_rules: tuple[QuestionRule, ...] = QUESTION_RULES) -> Decision:
    held_whole = tuple(reason for rule in email_rules if (reason := rule(case)))
    routes = []
    for question in case.questions:
        reasons = tuple(reason for rule in question_rules if (reason := rule(case, question)))
        routes.append(QuestionRoute(question.number, REVIEW if reasons or held_whole else AUTO, reasons))
    numbered = len(case.questions) > 1
    reasons = held_whole + tuple(f"question {r.number}: {reason}" if numbered else reason
                                 for r in routes for reason in r.reasons)
    route = REVIEW if reasons or not routes else AUTO
    return Decision(route, reasons or (() if routes else ("nothing to answer in the message",)), tuple(routes))
