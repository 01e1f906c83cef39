"""process_inbound: one stored message through parse -> intake -> enrich -> route -> draft -> reply.

Idempotent: a message already past this step is left alone. Everything happens in one transaction,
so a crash leaves the row 'received' for the sweeper and a re-run makes no second reply."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.consult import emails
from consultant.consult.enrich import enrich
from consultant.consult.intake import DuplicateMessage, take_in
from consultant.consult.reference import format_reference, reply_subject
from consultant.consult.replies import queue_reply
from consultant.consult.routing.router import AUTO, decide
from consultant.db.models import ConsultationStatus, InboundEmail, InboundStatus
from consultant.db.session import session_scope
from consultant.mail.compose import UnsafeHeaderValue, safe_address
from consultant.mail.parse import UnparseableEmail, parse_email
from consultant.settings import Settings

log = logging.getLogger(__name__)

REVIEW_RESPONSE_HOURS = 24


@dataclass(frozen=True)
class Outcome:
    status: str
    outbound_ids: tuple[int, ...] = ()


def process_inbound(session: Session, settings: Settings, inbound_id: int) -> Outcome:
    """Run the pipeline for one inbound message. The caller commits."""
    inbound = session.scalar(select(InboundEmail).where(InboundEmail.id == inbound_id).with_for_update())
    if inbound is None:
        return Outcome("missing")
    if inbound.status in InboundStatus.FINAL:
        return Outcome(inbound.status)
    try:
        parsed = parse_email(inbound.raw, inbound.mail_from)
    except UnparseableEmail as exc:
        return _finish(inbound, InboundStatus.QUARANTINED, str(exc))
    if parsed.machine:
        return _finish(inbound, InboundStatus.MACHINE, parsed.machine)
    if _is_our_own(parsed.sender, settings):
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
    reference = format_reference(settings.reference_prefix, consultation.id)
    subject = reply_subject(settings.reference_prefix, consultation.id, question.subject)
    if decision.route == AUTO:
        name = "answer"
        context = emails.answer(reference, subject, facts, settings.service_name)
        consultation.status = ConsultationStatus.ANSWERED
    else:
        name = "acknowledgement"
        context = emails.acknowledgement(reference, subject, facts, settings.service_name, REVIEW_RESPONSE_HOURS)
        consultation.status = ConsultationStatus.AWAITING_REVIEW
    outbound = queue_reply(
        session, settings, name=name, context=context, consultation=consultation, question=question,
        to_address=parsed.sender,
    )
    _finish(inbound, InboundStatus.PROCESSED, f"{decision.route}: {name}")
    log.info(
        "inbound processed inbound=%d consultation=%d question=%d route=%s codes=%d outbound=%d",
        inbound.id, consultation.id, question.id, decision.route, len(facts), outbound.id,
    )
    return Outcome(InboundStatus.PROCESSED, (outbound.id,))


def _is_our_own(sender: str, settings: Settings) -> bool:
    return sender in settings.accepted_addresses


def _finish(inbound: InboundEmail, status: str, reason: str) -> Outcome:
    inbound.status = status
    inbound.status_reason = reason
    if status != InboundStatus.PROCESSED:
        log.info("inbound set aside inbound=%d status=%s", inbound.id, status)
    return Outcome(status)


MAX_ATTEMPTS = 5


def run_inbound(settings: Settings, inbound_id: int) -> Outcome:
    """Count the attempt (committed on its own, so a crash still counts), then process.

    A message that failed MAX_ATTEMPTS times is quarantined with its last error instead of looping."""
    with session_scope() as session:
        inbound = session.get(InboundEmail, inbound_id)
        if inbound is None or inbound.status in InboundStatus.FINAL:
            return Outcome(inbound.status if inbound else "missing")
        if inbound.attempts >= MAX_ATTEMPTS:
            _finish(inbound, InboundStatus.QUARANTINED, f"processing failed {inbound.attempts} times: {inbound.last_error}")
            return Outcome(InboundStatus.QUARANTINED)
        inbound.attempts += 1
    try:
        with session_scope() as session:
            return process_inbound(session, settings, inbound_id)
    except Exception as exc:
        with session_scope() as session:
            failed = session.get(InboundEmail, inbound_id)
            if failed is not None:
                failed.last_error = error_summary(exc)
        raise


def error_summary(exc: BaseException) -> str:
    """The exception's type and where it was raised; never its message, which may quote the mail."""
    frame = exc.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    where = f" at {frame.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{frame.tb_lineno}" if frame else ""
    return f"{type(exc).__name__}{where}"
