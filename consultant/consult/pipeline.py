"""process_inbound: one stored message through parse -> intake -> enrich -> route -> draft -> reply.

Idempotent: a message already past this step is left alone. It all happens in one transaction,
so a crash leaves the row 'received' for the sweeper and a re-run makes no second reply."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.consult import emails
from consultant.consult.enrich import enrich
from consultant.consult.intake import DuplicateMessage, take_in
from consultant.consult.reference import format_reference, reply_subject
from consultant.consult.replies import queue_reply
from consultant.consult.routing.router import AUTO, decide
from consultant.db.base import utcnow
from consultant.db.models import ConsultationStatus, InboundEmail, InboundStatus
from consultant.db.session import session_scope
from consultant.mail.compose import UnsafeHeaderValue, safe_address
from consultant.mail.parse import UnparseableEmail, parse_email
from consultant.settings import Settings
from consultant.usage import ledger

log = logging.getLogger(__name__)

REVIEW_RESPONSE_HOURS = 24
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Outcome:
    status: str
    outbound_ids: tuple[int, ...] = ()


def run_inbound(settings: Settings, inbound_id: int) -> Outcome:
    """Process one message in its own transaction; an error is recorded on the row and re-raised."""
    try:
        with session_scope() as session:
            return process_inbound(session, settings, inbound_id)
    except Exception as exc:
        with session_scope() as session:
            failed = session.get(InboundEmail, inbound_id)
            if failed is not None:
                failed.attempts += 1
                failed.last_error = error_summary(exc)
        raise


def process_inbound(session: Session, settings: Settings, inbound_id: int) -> Outcome:
    """Run the pipeline for one inbound message. The caller commits."""
    inbound = _lock(session, inbound_id)
    if inbound is None:
        return Outcome("missing")
    if inbound.status in InboundStatus.FINAL:
        return Outcome(inbound.status)
    if inbound.attempts >= MAX_ATTEMPTS:
        return _finish(inbound, InboundStatus.QUARANTINED,
                       f"processing failed {inbound.attempts} times: {inbound.last_error or 'worker lost'}")
    if inbound.updated_at < utcnow() - timedelta(seconds=settings.sweep_after):
        # a retry after a crash (or an old backlog): count it on its own, so a crash counts too
        inbound.attempts += 1
        session.commit()
        inbound = _lock(session, inbound_id)
    try:
        parsed = parse_email(inbound.raw, inbound.mail_from)
    except UnparseableEmail as exc:
        return _finish(inbound, InboundStatus.QUARANTINED, str(exc))
    if parsed.machine:
        return _finish(inbound, InboundStatus.MACHINE, parsed.machine)
    if parsed.sender in settings.accepted_addresses:
        return _finish(inbound, InboundStatus.MACHINE, "sent from our own address (mail loop)")
    try:
        safe_address(parsed.sender)
    except UnsafeHeaderValue:
        return _finish(inbound, InboundStatus.QUARANTINED, "no usable sender address")
    try:
        question = take_in(session, inbound, parsed, settings.reference_prefix)
    except DuplicateMessage:
        return _finish(inbound, InboundStatus.DUPLICATE, "Message-ID already taken in")

    facts = enrich(session, question.text)
    decision = decide(question.text, facts)
    question.codes = [{"system": f.system, "code": f.code} for f in facts]
    question.facts = {"codes": [f.as_dict() for f in facts]}
    question.route = decision.route
    question.route_reasons = list(decision.reasons)
    consultation = question.consultation
    consultation.status = ConsultationStatus.ANSWERED if decision.route == AUTO else ConsultationStatus.AWAITING_REVIEW
    session.flush()

    reference = format_reference(settings.reference_prefix, consultation.id)
    subject = reply_subject(settings.reference_prefix, consultation.id, question.subject)
    if decision.route == AUTO:
        name, context = "answer", emails.answer(reference, subject, facts, settings.service_name)
    else:
        name = "acknowledgement"
        context = emails.acknowledgement(reference, subject, facts, settings.service_name, REVIEW_RESPONSE_HOURS)
    outbound = queue_reply(
        session, settings, name=name, context=context, consultation=consultation, question=question,
        to_address=parsed.sender, parent=parsed.message_id,
    )
    ledger.record(session, consultation.sender_id, ledger.QUESTION, f"question:{question.id}", consultation.id)
    _finish(inbound, InboundStatus.PROCESSED, f"{decision.route}: {name}")
    log.info(
        "inbound processed inbound=%d consultation=%d question=%d route=%s codes=%d outbound=%d",
        inbound.id, consultation.id, question.id, decision.route, len(facts), outbound.id,
    )
    return Outcome(InboundStatus.PROCESSED, (outbound.id,))


def _lock(session: Session, inbound_id: int) -> InboundEmail | None:
    return session.scalar(select(InboundEmail).where(InboundEmail.id == inbound_id).with_for_update())


def _finish(inbound: InboundEmail, status: str, reason: str) -> Outcome:
    inbound.status = status
    inbound.status_reason = reason
    if status != InboundStatus.PROCESSED:
        log.info("inbound set aside inbound=%d status=%s", inbound.id, status)
    return Outcome(status)


def error_summary(exc: BaseException) -> str:
    """The exception's type and where it was raised; never its message, which may quote the mail."""
    frame = exc.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    where = f" at {frame.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{frame.tb_lineno}" if frame else ""
    return f"{type(exc).__name__}{where}"
