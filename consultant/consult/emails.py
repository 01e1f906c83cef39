"""Each email we send is a function returning its template context, named after its folder in
templates/email/. Contexts hold facts and references only, never the question text (it may carry PHI)."""

from __future__ import annotations

from consultant.codes.lookup import CodeFact, Status

DISCLAIMER = (
    "This answer quotes the official code sets named above for the codes you asked about. "
    "It is coding information, not a payer determination: check the payer's policy and the "
    "documentation for the date of service."
)


def answer(reference: str, subject: str, facts: list[CodeFact], service_name: str) -> dict:
    return {
        "reference": reference,
        "subject": subject,
        "codes": [_code(f) for f in facts],
        "sources": sorted({f"{f.version}" for f in facts if f.version}),
        "service_name": service_name,
        "disclaimer": DISCLAIMER,
    }


def acknowledgement(
    reference: str, subject: str, facts: list[CodeFact], service_name: str, response_hours: int
) -> dict:
    return {
        "reference": reference,
        "subject": subject,
        "codes": [_code(f) for f in facts],
        "service_name": service_name,
        "response_hours": response_hours,
    }


def _code(fact: CodeFact) -> dict:
    return {
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
    }
