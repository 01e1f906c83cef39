"""Understood questions + catalog facts + the routing decision -> the draft answer.

Questions routed to be answered at once are rendered and checked for grounding first; one that
names a code outside the catalog or a fact without its source is held for a reviewer instead,
with that reason. Held questions get a reviewer's draft: the same facts, plus a marked place for
what only a person can say."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from consultant.consult.drafts.facts import LAY_SOURCE
from consultant.consult.drafts.grounding import codes_outside_catalog, facts_without_source
from consultant.consult.drafts.sections import question_sections
from consultant.consult.enrich import Enrichment
from consultant.consult.routing.router import AUTO, REVIEW, Decision, QuestionRoute
from consultant.consult.understand.questions import Question
from consultant.mail.render import render_fragment

DISCLAIMER = (
    "This answer quotes the official code sets named above for the codes you asked about. "
    "It is coding information, not a payer determination: check the payer's policy and the "
    "documentation for the date of service."
)
REVIEWER_MARK = "[REVIEWER:"


@dataclass(frozen=True)
class PreparedDraft:
    decision: Decision  # the routing decision, with any grounding problem added as a reason
    sections: list[dict]  # one per question, for the reply templates
    text: str  # answered at once: what is sent; otherwise the reviewer's starting point
    sources: list[str]
    problems: list[str]

    @property
    def answered(self) -> list[dict]:
        return [s for s in self.sections if not s["held"]]


def prepare_draft(session: Session, templates_dir: Path, enrichment: Enrichment, questions: list[Question],
                  decision: Decision, on: date | None = None) -> PreparedDraft:
    on = on or date.today()
    sections = question_sections(session, enrichment, questions, decision)
    problems_by_question = {
        s["number"]: _problems(session, templates_dir, s, on) for s in sections if not s["held"]}
    problems = [f"question {n}: {p}" if len(sections) > 1 else p
                for n, found in problems_by_question.items() for p in found]
    if problems:
        decision = _hold(decision, problems_by_question)
        sections = question_sections(session, enrichment, questions, decision)
    for_reviewer = decision.route == REVIEW
    shown = [s for s in sections if s["held"]] if for_reviewer else sections
    text = render_fragment(templates_dir, "_answers/all.txt", {"sections": shown, "for_reviewer": for_reviewer})
    return PreparedDraft(decision, sections, text, sources_of(sections), problems)


def _problems(session: Session, templates_dir: Path, section: dict, on: date) -> list[str]:
    text = render_fragment(templates_dir, "_answers/question.txt", {"q": section, "for_reviewer": False})
    asked = {c["code"] for c in section["codes"]}
    return [*codes_outside_catalog(session, text, asked, on), *facts_without_source(section)]


def _hold(decision: Decision, problems: dict[int, list[str]]) -> Decision:
    routes = tuple(
        QuestionRoute(r.number, REVIEW, r.reasons + tuple(f"draft not grounded: {p}" for p in problems[r.number]))
        if problems.get(r.number) else r for r in decision.questions)
    numbered = len(routes) > 1
    added = tuple(f"question {n}: draft not grounded: {p}" if numbered else f"draft not grounded: {p}"
                  for n, found in problems.items() for p in found)
    return replace(decision, route=REVIEW, reasons=decision.reasons + added, questions=routes)


def sources_of(sections: list[dict]) -> list[str]:
    versions: set[str] = set()
    for s in sections:
        for c in s["codes"]:
            if c["version"]:
                versions.add(c["version"])
            if c.get("lay") and "lookup" in s["kinds"] and not s["held"]:  # lay text is shown in full answers only
                versions.add(LAY_SOURCE)
        for kind in ("excludes1", "excludes2", "ptp", "mue"):
            versions |= {f["version"] for f in s["together"][kind] if f.get("version")}
        shown_tables = s["together"]["checked"] + (s["together"]["mue_checked"] if "units" in s["kinds"] else [])
        versions |= {t["version"] for t in shown_tables if t["version"]}  # "none found" cites them too
        versions |= {m["version"] for m in s["modifiers"] if m["version"]}
    return sorted(versions)


__all__ = ["AUTO", "DISCLAIMER", "REVIEWER_MARK", "PreparedDraft", "prepare_draft", "sources_of"]
