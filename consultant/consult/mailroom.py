"""Staff actions on mail rows: retry a failed reply, reprocess a quarantined message. Each is audited;
its job leaves after commit (and the sweeper would find the row anyway)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consultant import jobs
from consultant.db.base import utcnow
from consultant.db.models import InboundEmail, InboundStatus, OutboundEmail, OutboundStatus
from consultant.staff import audit
from consultant.staff.accounts import Staff

PAGE = 200


class MailroomError(ValueError):
    pass


def retry_outbound(session: Session, staff: Staff, outbound_id: int) -> None:
    """A failed reply goes back to pending with a fresh retry schedule."""
    moved = session.execute(
        update(OutboundEmail).where(OutboundEmail.id == outbound_id, OutboundEmail.status == OutboundStatus.FAILED)
        .values(status=OutboundStatus.PENDING, attempts=0, next_attempt_at=None, claimed_at=None)
    ).rowcount
    if not moved:
        raise MailroomError(f"reply {outbound_id} is not a failed one")
    jobs.defer(session, jobs.SEND_OUTBOUND, outbound_id)
    audit.record(session, staff.email, "retry_outbound", f"outbound:{outbound_id}")


def reprocess_inbound(session: Session, staff: Staff, inbound_id: int) -> None:
    """A quarantined message goes through the pipeline again (from the raw bytes we kept)."""
    previous = session.scalar(select(InboundEmail.status_reason).where(
        InboundEmail.id == inbound_id, InboundEmail.status == InboundStatus.QUARANTINED))
    moved = session.execute(
        update(InboundEmail).where(InboundEmail.id == inbound_id, InboundEmail.status == InboundStatus.QUARANTINED)
        .values(status=InboundStatus.RECEIVED, attempts=0, last_error=None, status_reason=None, updated_at=utcnow())
    ).rowcount
    if not moved:
        raise MailroomError(f"message {inbound_id} is not quarantined")
    jobs.defer(session, jobs.PROCESS_INBOUND, inbound_id)
    audit.record(session, staff.email, "reprocess_inbound", f"inbound:{inbound_id}", previous_reason=previous)


def outbox(session: Session, status: str = "") -> list[OutboundEmail]:
    query = select(OutboundEmail).order_by(OutboundEmail.id.desc()).limit(PAGE)
    if status:
        query = query.where(OutboundEmail.status == status)
    return list(session.scalars(query))


def quarantine(session: Session) -> list[InboundEmail]:
    return list(session.scalars(select(InboundEmail).where(InboundEmail.status == InboundStatus.QUARANTINED)
                                .order_by(InboundEmail.id.desc()).limit(PAGE)))
