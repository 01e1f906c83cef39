"""Each email we send is a function returning its template context, named after its folder in
templates/email/. Contexts hold facts and references only, never the question text (it may carry PHI)."""

from __future__ import annotations

from consultant.consult.drafts.prepare import DISCLAIMER, PreparedDraft


def answer(reference: str, subject: str, draft: PreparedDraft, service_name: str,
           quota_line: str | None = None) -> dict:
    return {
        "quota_line": quota_line,
        "reference": reference,
        "subject": subject,
        "sections": draft.sections,
        "for_reviewer": False,
        "sources": draft.sources,
        "service_name": service_name,
        "disclaimer": DISCLAIMER,
    }


def acknowledgement(reference: str, subject: str, draft: PreparedDraft, service_name: str,
                    response_hours: int, quota_line: str | None = None) -> dict:
    """Held questions are acknowledged; any question answered at once is answered here too."""
    return {
        **answer(reference, subject, draft, service_name, quota_line),
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


def over_quota(reference: str, subject: str, service_name: str, quota_line: str, can_register: bool,
               registered_more: int, register_url: str, renews: str | None) -> dict:
    """The question is kept, unanswered: the limit, and how to register (or when the quota renews)."""
    return {"reference": reference, "subject": subject, "service_name": service_name, "quota_line": quota_line,
            "can_register": can_register, "registered_more": registered_more, "register_url": register_url,
            "renews": renews}


def rate_limited(subject: str, service_name: str, per_hour: int) -> dict:
    """Nothing about the sender's account: the From may be forged."""
    return {"subject": subject, "service_name": service_name, "per_hour": per_hour}


def registration(subject: str, service_name: str, state: str, quota_line: str, token: str | None = None,
                 confirm_url: str | None = None, valid_hours: int = 0, problem: str | None = None) -> dict:
    return {"subject": subject, "service_name": service_name, "state": state, "quota_line": quota_line,
            "token": token, "confirm_url": confirm_url, "valid_hours": valid_hours, "problem": problem}


def not_coding(reference: str, subject: str, service_name: str, emergency: bool = False,
               quota_line: str | None = None) -> dict:
    """The one fixed reply to mail that is not a coding question: what the service is, and nothing charged.
    When the mail describes a medical emergency, its first line says to call emergency services."""
    return {"reference": reference, "subject": subject, "service_name": service_name, "emergency": emergency,
            "quota_line": quota_line}
