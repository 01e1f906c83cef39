"""Each email we send is a function returning its template context, named after its folder in
templates/email/. Contexts hold facts and references only, never the question text (it may carry PHI)."""

from __future__ import annotations

from consultant.codes.lookup import CodeFact, Status
from consultant.codes.show import CodeDetail
from consultant.consult.enrich import Enrichment

DISCLAIMER = (
    "This answer quotes the official code sets named above for the codes you asked about. "
    "It is coding information, not a payer determination: check the payer's policy and the "
    "documentation for the date of service."
)
NOTE_KINDS = {
    "excludes1": "Excludes1 (never coded together with)",
    "excludes2": "Excludes2 (may be coded together when both are present)",
    "code_first": "Code first",
    "use_additional_code": "Use additional code",
    "code_also": "Code also",
}
NOTES_PER_KIND = 4
LISTED_CODES = 8


def answer(reference: str, subject: str, enrichment: Enrichment, service_name: str) -> dict:
    return {
        "reference": reference,
        "subject": subject,
        "codes": _codes(enrichment),
        "together": _together(enrichment),
        "sources": _sources(enrichment),
        "service_name": service_name,
        "disclaimer": DISCLAIMER,
    }


def acknowledgement(
    reference: str, subject: str, enrichment: Enrichment, service_name: str, response_hours: int
) -> dict:
    return {
        "reference": reference,
        "subject": subject,
        "codes": _codes(enrichment),
        "together": _together(enrichment),
        "service_name": service_name,
        "response_hours": response_hours,
    }


def _codes(enrichment: Enrichment) -> list[dict]:
    details = enrichment.details or [None] * len(enrichment.facts)
    return [_code(fact, detail) for fact, detail in zip(enrichment.facts, details)]


def _code(fact: CodeFact, detail: CodeDetail | None) -> dict:
    context = {
        "code": fact.code,
        "system": fact.system_name,
        "status": fact.status,
        "descriptor": fact.descriptor,
        "version": fact.version,
        "billable": fact.status == Status.BILLABLE,
        "header": fact.status == Status.HEADER,
        "licensed_text_missing": fact.status == Status.LICENSED_TEXT_MISSING,
        "invalid": fact.status == Status.INVALID,
        "set_not_loaded": fact.status == Status.CODE_SET_NOT_LOADED,
        "deleted": fact.status == Status.DELETED,
        "notes": [], "completions": [], "more_completions": 0, "suggestions": [], "lay": None, "mue": [],
    }
    if detail is None:
        return context
    for kind, label in NOTE_KINDS.items():
        notes = detail.notes.get(kind, [])[:NOTES_PER_KIND]
        if notes:
            context["notes"].append({"label": label, "entries": [
                {"text": n.text, "under": n.inherited_from} for n in notes]})
    context["completions"] = [{"code": c.code, "descriptor": c.descriptor} for c in detail.children[:LISTED_CODES]]
    context["more_completions"] = max(0, detail.children_total - len(context["completions"]))
    context["suggestions"] = [{"code": c.code, "descriptor": c.descriptor} for c in detail.suggestions[:LISTED_CODES]]
    context["lay"] = detail.lay.text if detail.lay else None
    return context


def _together(enrichment: Enrichment) -> dict:
    check = enrichment.check
    if check is None:
        return {"excludes1": [], "excludes2": [], "ptp": [], "mue": [], "not_loaded": [], "pairs": 0}
    return {
        "excludes1": [_excludes(f) for f in check.excludes if f.kind == "excludes1"],
        # an Excludes2 written for a whole chapter or block ("not coded here") says little about a pair
        "excludes2": [_excludes(f) for f in check.excludes if f.kind == "excludes2" and _specific(f.note_code)],
        "ptp": [{"column1": f.column1, "column2": f.column2, "setting": f.setting, "indicator": f.modifier_indicator,
                 "meaning": f.meaning, "rationale": f.rationale, "version": f.version} for f in check.ptp],
        "mue": [{"code": f.code, "setting": f.setting, "value": f.value, "indicator": f.adjudication_indicator,
                 "meaning": f.meaning, "version": f.version} for f in check.mue],
        "not_loaded": list(check.not_loaded),
        "pairs": len(check.codes) > 1,
    }


def _specific(note_code: str) -> bool:
    """A note written at a category or code, not at a chapter ("11") or block ("K70-K77")."""
    return "-" not in note_code and not note_code.isdigit()


def _excludes(finding) -> dict:
    return {"code": finding.code, "other": finding.other, "under": finding.note_code, "text": finding.text,
            "version": finding.version}


def _sources(enrichment: Enrichment) -> list[str]:
    versions = {f.version for f in enrichment.facts if f.version}
    if enrichment.check:
        versions |= {f.version for f in [*enrichment.check.ptp, *enrichment.check.mue] if f.version}
    if any(d.lay for d in enrichment.details):
        versions.add("lay descriptions written by our staff")
    return sorted(versions)
