"""ParsedEmail -> Question in a Consultation: join the thread it answers, or open a new one.

A message joins a consultation only when its sender is the one who asked; otherwise it opens its own."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.consult.reference import find_reference
from consultant.db.models import Consultation, InboundEmail, OutboundEmail, Question, Sender
from consultant.mail.inbound import message_id_key
from consultant.mail.parse import ParsedEmail
from consultant.usage import ledger


class DuplicateMessage(Exception):
    """A message with this Message-ID was already taken in (a relay's redelivery, a reply-all copy)."""


def take_in(session: Session, inbound: InboundEmail, parsed: ParsedEmail, reference_prefix: str) -> Question:
    """A new Question in its consultation (new or joined), added to the session, not yet flushed."""
    key = inbound.message_id_key if parsed.message_id else message_id_key(None, inbound.sha256)
    if session.scalar(select(Question.id).where(Question.message_id_key == key)) is not None:
        raise DuplicateMessage(key)
    sender = ledger.sender_for(session, parsed.sender, parsed.sender_name)
    consultation = find_thread(session, parsed, sender, reference_prefix)
    if consultation is None:
        consultation = Consultation(sender=sender, subject=parsed.subject or "(no subject)")
        session.add(consultation)
    question = Question(
        consultation=consultation,
        inbound_id=inbound.id,
        message_id_key=key,
        references=list(parsed.thread_ids),
        subject=parsed.subject,
        text=parsed.text,
    )
    session.add(question)
    return question


def find_thread(session: Session, parsed: ParsedEmail, sender: Sender, reference_prefix: str) -> Consultation | None:
    """References, then In-Reply-To, then the subject tag; only the asker's own consultations."""
    for consultation_id in _candidates(session, parsed, reference_prefix):
        consultation = session.get(Consultation, consultation_id)
        if consultation is not None and consultation.sender_id == sender.id:
            return consultation
    return None


def _candidates(session: Session, parsed: ParsedEmail, reference_prefix: str):
    for message_id in parsed.thread_ids:
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
