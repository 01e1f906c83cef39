"""The questions understood + what the catalog says -> one section per question, for the templates
in templates/email/_answers/<kind>/. A section holds facts only; the question text is never in it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from consultant.consult.drafts.facts import code_context, modifier_context, together_context
from consultant.consult.enrich import Enrichment
from consultant.consult.routing.policy import ANSWERABLE
from consultant.consult.routing.router import AUTO, Decision
from consultant.consult.understand.questions import Question

INTENT_LABELS = {
    "lookup": "code lookup", "validity": "validity", "pair": "codes together", "modifier": "modifier use",
    "units": "units (MUE)", "guideline": "guideline question", "case_review": "case review",
    "coverage": "coverage or payment", "other": "other",
}


def question_sections(session: Session, enrichment: Enrichment, questions: list[Question],
                      decision: Decision) -> list[dict]:
    routes = {r.number: r for r in decision.questions}
    numbered = len(questions) > 1
    return [section_for(enrichment, q, routes[q.number].route, list(routes[q.number].reasons), numbered)
            for q in questions]


def section_for(enrichment: Enrichment, question: Question, route: str, reasons: list[str], numbered: bool) -> dict:
    codes = [code_context(fact, enrichment.detail_for(key), enrichment.on)
             for key in question.codes if (fact := enrichment.fact_for(key)) is not None]
    named = {c["code"] for c in codes}
    modifiers = {d.code: d for d in enrichment.modifiers}
    return {
        "number": question.number,
        "numbered": numbered,
        "heading": _heading(question),
        "kinds": list(question.intents),
        "labels": [INTENT_LABELS[i] for i in question.intents],
        "route": route,
        "held": route != AUTO,
        "reasons": reasons,
        "confidence": round(question.confidence, 2),
        "codes": codes,
        "together": together_context(enrichment.check, named),
        "modifiers": [modifier_context(modifiers[m]) for m in question.modifiers if m in modifiers],
        "needs_reviewer": [i for i in question.intents if i not in ANSWERABLE],
    }


def _heading(question: Question) -> str:
    """What the question is about, from its codes and intents: never words of the question itself."""
    named = [code for _, code in question.codes] + [f"modifier {m}" for m in question.modifiers]
    about = ", ".join(named[:4]) + (f" and {len(named) - 4} more" if len(named) > 4 else "")
    label = " / ".join(INTENT_LABELS[i] for i in question.intents)
    return f"{about}: {label}" if about else label[:1].upper() + label[1:]
