"""Each email we send is a function returning its template context, named after its folder in
templates/email/. Contexts hold facts and references only, never the question text (it may carry PHI)."""

from __future__ import annotations

from consultant.consult.drafts.prepare import DISCLAIMER, PreparedDraft


def answer(reference: str, subject: str, draft: PreparedDraft, service_name: str) -> dict:
    return {
        "reference": reference,
        "subject": subject,
        "sections": draft.sections,
        "for_reviewer": False,
        "sources": draft.sources,
        "service_name": service_name,
        "disclaimer": DISCLAIMER,
    }


def acknowledgement(reference: str, subject: str, draft: PreparedDraft, service_name: str,
                    response_hours: int) -> dict:
    """Held questions are acknowledged; any question answered at once is answered here too."""
    return {
        **answer(reference, subject, draft, service_name),
        "answered": bool(draft.answered),
        "response_hours": response_hours,
    }


def reviewed_answer(reference: str, subject: str, body: str, sources: list[str], service_name: str) -> dict:
    """A certified coder's answer: their text, wrapped with greeting, reference, sources and disclaimer."""
    return {
        "reference": reference,
        "subject": subject,
        "body": body.strip(),
        "sources": sources,
        "service_name": service_name,
        "disclaimer": DISCLAIMER,
    }
