"""Routing rules: each looks at the case (and, for question rules, one of its questions) and returns a
reason to hold it for a reviewer, or None. Rules never act; the router decides from all reasons."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from consultant.codes.lookup import CodeFact, Status
from consultant.consult.routing.policy import Policy
from consultant.consult.understand.intents import CODE_INTENTS, PAIR, UNITS
from consultant.consult.understand.questions import Question

_POINTS_TO_ATTACHMENT = re.compile(r"\battach\w*|\benclosed\b|\bsee (?:the )?(?:file|pdf|document|scan|image)",
                                   re.IGNORECASE)


@dataclass(frozen=True)
class Case:
    """What routing may look at: the questions understood, what the catalog says, what screening flagged."""

    text: str
    questions: list[Question]
    facts: dict[tuple[str, str], CodeFact]
    policy: Policy = field(default_factory=Policy)
    phi_kinds: list[str] = field(default_factory=list)  # PHI kinds in subject, text, sign-off, forward headers
    quoted_phi_kinds: list[str] = field(default_factory=list)  # kinds found in the quoted earlier messages
    attachments: tuple[str, ...] = ()
    mue_codes: frozenset[str] = frozenset()  # codes with an MUE in force on the date of service
    described_modifiers: frozenset[str] = frozenset()  # modifiers the catalog has a descriptor for
    recent_replies: int = 0  # automatic replies to this sender in the last 24 hours
    reply_cap: int | None = None  # at most this many; past it nothing automatic is sent
    sender_problem: str | None = None  # why the From address cannot be believed (authenticity screening)


EmailRule = Callable[[Case], str | None]
QuestionRule = Callable[[Case, Question], str | None]


# --- the whole email ----------------------------------------------------------------------------

def phi_present(case: Case) -> str | None:
    if not case.phi_kinds:
        return None
    return f"possible patient identifiers ({', '.join(sorted(set(case.phi_kinds)))}): a person must answer"


def phi_in_quoted_text(case: Case) -> str | None:
    """A question answered above a quoted message that names the patient ("Is N39.0 right for her?")."""
    if not case.quoted_phi_kinds:
        return None
    kinds = ", ".join(sorted(set(case.quoted_phi_kinds)))
    return f"possible patient identifiers in the quoted earlier message ({kinds}): a person must answer"


def sender_not_authenticated(case: Case) -> str | None:
    return case.sender_problem


def plan_reviews_everything(case: Case) -> str | None:
    return "the sender's plan has every answer reviewed" if case.policy.review_all else None


def reply_cap_reached(case: Case) -> str | None:
    if case.reply_cap is None or case.recent_replies < case.reply_cap:
        return None
    return (f"{case.recent_replies} automatic replies to this sender in 24 hours (cap {case.reply_cap}): "
            "no reply sent, in case of a mail loop")


def attachment_carries_question(case: Case) -> str | None:
    if not case.attachments:
        return None
    if _POINTS_TO_ATTACHMENT.search(case.text) or not case.text.strip():
        names = ", ".join(case.attachments[:3]) + (" ..." if len(case.attachments) > 3 else "")
        return f"the question is in an attachment ({names}): a person must read it"
    return None


# --- each question ------------------------------------------------------------------------------

def intent_not_answered_automatically(case: Case, question: Question) -> str | None:
    held = [intent for intent in question.intents if intent not in case.policy.auto_intents]
    if not held:
        return None
    return f"{' and '.join(_label(i) for i in held)} question: a person must answer"


def low_confidence(case: Case, question: Question) -> str | None:
    if question.confidence >= case.policy.min_confidence:
        return None
    return (f"the question could not be read with confidence ({question.confidence:.2f} < "
            f"{case.policy.min_confidence:.2f}; read as {', '.join(map(_label, question.intents))})")


def no_code_to_answer_from(case: Case, question: Question) -> str | None:
    if question.codes or question.modifiers or not CODE_INTENTS & set(question.intents):
        return None
    return "no code found in the question"


def code_not_describable(case: Case, question: Question) -> str | None:
    """A code the catalog cannot describe holds the question, except an invalid one asked about for its
    validity: `invalid` comes only from a full official release that covers the date (codes/releases.py),
    so "is K76.99 real?" is answered that it is not, with the nearest valid codes. A code missing from a
    licensee's CPT file or a partial file, or from a release that does not cover the date, is for a
    person to judge."""
    answers_unknown = set(question.intents) <= case.policy.unknown_code_answers
    missing = []
    for key in question.codes:
        fact = case.facts.get(key)
        if fact is None or fact.status in Status.DESCRIBABLE:
            continue
        if fact.status == Status.INVALID and answers_unknown:
            continue
        missing.append(fact)
    missing += [m for m in question.modifiers if m not in case.described_modifiers]
    if not missing:
        return None
    return "the catalog cannot describe " + ", ".join(
        f"{f.system_name} {f.code} ({f.status_label})" if isinstance(f, CodeFact) else f"modifier {f}"
        for f in missing)


def pair_needs_two_codes(case: Case, question: Question) -> str | None:
    if PAIR in question.intents and len(question.codes) < 2:
        return "a question about codes together names fewer than two codes"
    return None


def pair_not_checked(case: Case, question: Question) -> str | None:
    """Codes together that no loaded table can check for the date: the ICD-10-CM Excludes notes for
    diagnoses, either NCCI PTP setting for CPT/HCPCS codes. Several codes that no table pairs (a diagnosis
    with a procedure) are for a person too."""
    if PAIR not in question.intents:
        return None
    facts = [f for key in question.codes if (f := case.facts.get(key)) is not None]
    families = [[f for f in facts if f.system == "icd10cm"], [f for f in facts if f.system in ("cpt", "hcpcs")]]
    paired = [family for family in families if len(family) > 1]
    if not paired:
        if len(facts) > 1:
            return ("no table pairs these codes (Excludes notes pair ICD-10-CM codes, NCCI PTP edits pair CPT and "
                    "HCPCS codes): a person must answer")
        return None
    unchecked = [family[0].pairs_unchecked for family in paired if family[0].pairs_unchecked]
    if not unchecked:
        return None
    return f"codes together not checked for the date of service ({'; '.join(unchecked)}): a person must answer"


def units_without_mue(case: Case, question: Question) -> str | None:
    if UNITS not in question.intents:
        return None
    missing = [code for system, code in question.codes if system in ("cpt", "hcpcs") and code not in case.mue_codes]
    if not missing and any(system in ("cpt", "hcpcs") for system, _ in question.codes):
        return None
    if not missing:
        return "a units question names no CPT or HCPCS code"
    return f"no MUE in the catalog for {', '.join(missing)}"


def _label(intent: str) -> str:
    return intent.replace("_", " ")


EMAIL_RULES: tuple[EmailRule, ...] = (phi_present, phi_in_quoted_text, sender_not_authenticated,
                                      plan_reviews_everything, reply_cap_reached, attachment_carries_question)
QUESTION_RULES: tuple[QuestionRule, ...] = (
    intent_not_answered_automatically, low_confidence, no_code_to_answer_from, code_not_describable,
    pair_needs_two_codes, pair_not_checked, units_without_mue,
)
