"""ParsedEmail -> Question in a Consultation: join the thread it answers, or open a new one.

A message joins a consultation only when its sender asked it, or belongs to the asker's organisation;
otherwise it opens its own, so nobody can pull another person's conversation."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from consultant.consult.reference import find_reference
from consultant.db.models import Consultation, ConsultationStatus, OutboundEmail, Question
from consultant.mail.parse import ParsedEmail
from consultant.usage import ledger
from consultant.usage.organisations import same_organisation


@dataclass(frozen=True)
class Findings:
    """What enrichment and routing concluded, stored with the question."""

    codes: list[dict]
    facts: dict
    route: str
    reasons: list[str]
    consultation_status: str | None  # None: a message that joins a thread leaves its status alone
    phi: dict
    asks: list[dict]


@dataclass(frozen=True)
class TakenIn:
    question_id: int
    consultation_id: int
    sender_id: int
    joined: bool


def take_in(
    session: Session, inbound_id: int, key: str, parsed: ParsedEmail, findings: Findings, reference_prefix: str,
    *, sender_id: int | None = None, thread: int | None = None, join: bool = True,
) -> TakenIn:
    """Insert the Question into the sender's thread or a new consultation. Its Message-ID key is
    unique: the caller has checked it is new, and a concurrent twin fails on the constraint.

    The caller may pass the sender and the thread it found already; `join=False` always opens a new
    consultation (a sender whose From cannot be believed sees nothing of an existing one). A question
    held earlier for this message is completed in place."""
    if sender_id is None:
        sender_id = ledger.sender_for(session, parsed.sender, parsed.sender_name)
    held = held_question(session, inbound_id)
    if held is not None:
        return _complete_held(session, held, findings, sender_id)
    consultation_id = thread if thread is not None or not join else find_thread(
        session, parsed, sender_id, reference_prefix)
    joined = consultation_id is not None
    if joined and findings.consultation_status is not None:
        session.execute(
            update(Consultation).where(Consultation.id == consultation_id)
            .values(status=findings.consultation_status)
        )
    else:
        consultation_id = session.execute(
            insert(Consultation).values(
                sender_id=sender_id, subject=parsed.subject or "(no subject)",
                status=findings.consultation_status or ConsultationStatus.ANSWERED,
            ).returning(Consultation.id)
        ).scalar_one()
    question_id = session.execute(
        insert(Question).values(
            consultation_id=consultation_id,
            inbound_id=inbound_id,
            message_id_key=key,
            references=list(parsed.thread_ids),
            subject=parsed.subject,
            text=parsed.text,
            codes=findings.codes,
            facts=findings.facts,
            route=findings.route,
            route_reasons=findings.reasons,
            phi=findings.phi,
            asks=findings.asks,
        ).returning(Question.id)
    ).scalar_one()
    return TakenIn(question_id, consultation_id, sender_id, joined)


def held_question(session: Session, inbound_id: int) -> tuple[int, int] | None:
    """(question id, consultation id) of the question this message left while held, if any."""
    row = session.execute(select(Question.id, Question.consultation_id)
                          .where(Question.inbound_id == inbound_id)).one_or_none()
    return (row.id, row.consultation_id) if row else None


def opened_by(session: Session, question_id: int, consultation_id: int) -> bool:
    """Whether the question is the first of its consultation (it opened it)."""
    first = session.scalar(select(Question.id).where(Question.consultation_id == consultation_id)
                           .order_by(Question.id).limit(1))
    return first == question_id


def _complete_held(session: Session, held: tuple[int, int], findings: Findings, sender_id: int) -> TakenIn:
    question_id, consultation_id = held
    session.execute(update(Question).where(Question.id == question_id).values(
        codes=findings.codes, facts=findings.facts, route=findings.route, route_reasons=findings.reasons,
        phi=findings.phi, asks=findings.asks))
    if findings.consultation_status is not None:
        session.execute(update(Consultation).where(Consultation.id == consultation_id)
                        .values(status=findings.consultation_status))
    return TakenIn(question_id, consultation_id, sender_id, not opened_by(session, question_id, consultation_id))


def find_thread(session: Session, parsed: ParsedEmail, sender_id: int, reference_prefix: str) -> int | None:
    """References (newest first), then In-Reply-To, then the subject tag; only consultations of the asker
    or of an address in the asker's organisation."""
    for consultation_id in _candidates(session, parsed, reference_prefix):
        owner = session.scalar(select(Consultation.sender_id).where(Consultation.id == consultation_id))
        if owner is not None and same_organisation(session, owner, sender_id):
            return consultation_id
    return None


def _candidates(session: Session, parsed: ParsedEmail, reference_prefix: str):
    for message_id in dict.fromkeys([*reversed(parsed.references), *([parsed.in_reply_to] or [])]):
        if not message_id:
            continue
        ours = session.scalar(select(OutboundEmail.consultation_id).where(OutboundEmail.message_id == message_id))
        if ours is not None:
            yield ours
            continue
        theirs = session.scalar(
            select(Question.consultation_id).where(Question.message_id_key == message_id.strip("<>"))
        )
        if theirs is not None:
            yield theirs
    tagged = find_reference(reference_prefix, parsed.subject)
    if tagged is not None:
        yield tagged
