"""What the catalog says, shaped for the answer templates: each code, the findings about codes
together, MUEs and modifiers. Every entry carries the version of the source it quotes, and the
findings say which tables were checked for the date (with their releases) and which were not, so a
template never reads "no edit" from a table that was not checked."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from consultant.codes.check import CheckResult, ExcludesFinding
from consultant.codes.lookup import SYSTEM_NAMES, CodeFact, Status
from consultant.codes.releases import MUE_TABLES, NCCI_TABLES, TableCheck
from consultant.codes.show import CodeDetail

NOTE_KINDS = {
    "excludes1": "Excludes1 (never coded together with)",
    "excludes2": "Excludes2 (may be coded together when both are present)",
    "code_first": "Code first",
    "use_additional_code": "Use additional code",
    "code_also": "Code also",
}
NOTES_PER_KIND = 4
LISTED_CODES = 8
LAY_SOURCE = "lay descriptions written by our staff"


def code_context(fact: CodeFact, detail: CodeDetail | None, on: date | None = None) -> dict:
    """A code not in the catalog cites the release it was looked up in (`version`) and its `dates`."""
    context = {
        "code": fact.code,
        "system": fact.system_name,
        "status": fact.status,
        "descriptor": fact.descriptor,
        "version": fact.version,
        "dates": fact.dates,
        "on": on.isoformat() if on else None,
        "billable": fact.status == Status.BILLABLE,
        "header": fact.status == Status.HEADER,
        "licensed_text_missing": fact.status == Status.LICENSED_TEXT_MISSING,
        "invalid": fact.status == Status.INVALID,
        "not_in_file": fact.status == Status.NOT_IN_FILE,
        "not_covered": fact.status == Status.NOT_COVERED,
        "set_not_loaded": fact.status == Status.CODE_SET_NOT_LOADED,
        "deleted": fact.status == Status.DELETED,
        "notes": [], "completions": [], "more_completions": 0, "suggestions": [], "lay": None,
        "seventh": [], "needs_seventh": False, "deletion_date": None,
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
    lay = detail.lay if fact.status != Status.INVALID else None  # our lay text describes a code that exists
    context["lay"] = lay.text if lay else None
    context["lay_source"] = LAY_SOURCE if lay else None
    context["deletion_date"] = detail.deletion_date.isoformat() if detail.deletion_date else None
    sevenths = detail.notes.get("seven_chr_def", [])
    context["seventh"] = [n.text for n in sevenths]
    context["needs_seventh"] = bool(sevenths) and fact.status == Status.HEADER and _before_seventh(fact.code)
    return context


def _before_seventh(code: str) -> bool:
    return len(code.replace(".", "")) < 7


def together_context(check: CheckResult | None, codes: Collection[str] | None = None) -> dict:
    """Findings among `codes` (all the checked codes when None), and the tables behind them: `checked` and
    `unchecked` are the tables that pair these codes (Excludes notes between ICD-10-CM codes, NCCI PTP
    edits between CPT/HCPCS codes), `mue_checked` and `mue_unchecked` the MUE tables; `none_found` names
    what the checked pair tables did not have; `unpaired` is several codes no table pairs."""
    if check is None:
        return {"excludes1": [], "excludes2": [], "ptp": [], "mue": [], "pairs": False, "on": None,
                "checked": [], "unchecked": [], "none_found": None, "unpaired": False,
                "mue_checked": [], "mue_unchecked": []}

    def among(*named: str) -> bool:
        return codes is None or all(code in codes for code in named)

    named = [c for c in check.codes if codes is None or c.code in codes]
    icd = [c for c in named if c.system == "icd10cm"]
    procedures = [c for c in named if c.system in ("cpt", "hcpcs")]
    pairing = [t for t in map(check.table, (["excludes"] if len(icd) > 1 else [])
                              + (list(NCCI_TABLES) if len(procedures) > 1 else [])) if t is not None]
    mue = [t for t in map(check.table, MUE_TABLES if procedures else ()) if t is not None]
    found = {"excludes": "Excludes1 note", "ncci": "NCCI PTP edit"}
    none_found = sorted({found["excludes" if t.table == "excludes" else "ncci"] for t in pairing if t.checked})
    return {
        "on": check.on.isoformat(),
        "checked": [_table(t) for t in pairing if t.checked],
        "unchecked": [_table(t) for t in pairing if not t.checked],
        "none_found": " or ".join(none_found) or None,
        "unpaired": len([c for c in named if c.system != "unrecognised"]) > 1 and len(icd) < 2 and len(procedures) < 2,
        "mue_checked": [_table(t) for t in mue if t.checked],
        "mue_unchecked": [_table(t) for t in mue if not t.checked],
        "excludes1": [_excludes(f) for f in check.excludes if f.kind == "excludes1" and among(f.code, f.other)],
        # an Excludes2 written for a whole chapter or block ("not coded here") says little about a pair
        "excludes2": [_excludes(f) for f in check.excludes
                      if f.kind == "excludes2" and _specific(f.note_code) and among(f.code, f.other)],
        "ptp": [{"column1": f.column1, "column2": f.column2, "setting": f.setting, "indicator": f.modifier_indicator,
                 "meaning": f.meaning, "rationale": f.rationale, "version": f.version}
                for f in check.ptp if among(f.column1, f.column2)],
        "mue": [mue_context(f) for f in check.mue if among(f.code)],
        "pairs": len(named) > 1,
    }


def _table(check: TableCheck) -> dict:
    return {"table": check.table, "name": check.name, "checked": check.checked, "reason": check.reason,
            "version": check.release.version if check.release else None,
            "dates": check.release.dates if check.release else None,
            "cited": check.cited}


def mue_context(finding) -> dict:
    return {"code": finding.code, "setting": finding.setting, "value": finding.value,
            "indicator": finding.adjudication_indicator, "meaning": finding.meaning, "version": finding.version}


def modifier_context(detail: CodeDetail) -> dict:
    described = detail.status == Status.BILLABLE and detail.descriptor
    source = next((s for s in detail.sources if s.what.startswith("descriptor")), None)
    return {"code": detail.code, "descriptor": detail.descriptor if described else None,
            "licensed_text_missing": detail.status == Status.LICENSED_TEXT_MISSING,
            "version": source.version if source else None}


def _specific(note_code: str) -> bool:
    """A note written at a category or code, not at a chapter ("11") or block ("K70-K77")."""
    return "-" not in note_code and not note_code.isdigit()


def _excludes(finding: ExcludesFinding) -> dict:
    return {"code": finding.code, "other": finding.other, "under": finding.note_code, "text": finding.text,
            "version": finding.version}


def system_name(system: str) -> str:
    return SYSTEM_NAMES.get(system, system)
