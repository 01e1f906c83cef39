"""The stored inbound mail as staff see it: list by status, and retry a quarantined message.

A retry puts the row back to 'received' with no attempts counted and enqueues its processing after
commit, so a message quarantined by a bug or a limit is processed again once that is fixed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consultant import jobs
from consultant.db.base import utcnow
from consultant.db.models import InboundEmail, InboundStatus


@dataclass(frozen=True)
class InboxRow:
    id: int
    received_at: datetime
    sender: str
    size: int
    status: str
    reason: str

    def as_dict(self) -> dict:
        return {**self.__dict__, "received_at": self.received_at.isoformat()}


@dataclass(frozen=True)
class RetryResult:
    inbound_id: int
    retried: bool
    reason: str = ""


def list_inbox(session: Session, status: str | None = None, limit: int = 100) -> list[InboxRow]:
    query = select(
        InboundEmail.id, InboundEmail.received_at, InboundEmail.mail_from, InboundEmail.size,
        InboundEmail.status, InboundEmail.status_reason,
    ).order_by(InboundEmail.id).limit(limit)
    if status:
        query = query.where(InboundEmail.status == status)
    return [InboxRow(r.id, r.received_at, r.mail_from, r.size, r.status, r.status_reason or "")
            for r in session.execute(query)]


def retry(session: Session, inbound_ids: list[int], force: bool = False) -> list[RetryResult]:
    """Reset each quarantined row (any row with `force`) and enqueue it once the caller commits."""
    results = []
    for inbound_id in inbound_ids:
        status = session.scalar(select(InboundEmail.status).where(InboundEmail.id == inbound_id).with_for_update())
        if status is None:
            results.append(RetryResult(inbound_id, False, "no such message"))
        elif status != InboundStatus.QUARANTINED and not force:
            results.append(RetryResult(inbound_id, False, f"status is {status}, not quarantined (use --force)"))
        else:
            session.execute(
                update(InboundEmail).where(InboundEmail.id == inbound_id).values(
                    status=InboundStatus.RECEIVED, status_reason=None, attempts=0, last_error=None,
                    updated_at=utcnow(),
                )
            )
            jobs.defer(session, jobs.PROCESS_INBOUND, inbound_id)
            results.append(RetryResult(inbound_id, True))
    return results
