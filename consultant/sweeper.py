"""Find work that sits too long in a non-final state, so the queue can be woken for it again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.db.base import utcnow
from consultant.db.models import InboundEmail, InboundStatus, OutboundEmail, OutboundStatus
from consultant.mail.outbox import claimable
from consultant.settings import Settings
from consultant.usage.release import release_due

BATCH = 500


@dataclass(frozen=True)
class StuckWork:
    inbound_ids: list[int]
    outbound_ids: list[int]


def find_stuck(session: Session, settings: Settings) -> StuckWork:
    now = utcnow()
    cutoff = now - timedelta(seconds=settings.sweep_after)
    inbound = session.scalars(
        select(InboundEmail.id)
        .where(InboundEmail.status == InboundStatus.RECEIVED, InboundEmail.updated_at < cutoff)
        .order_by(InboundEmail.id)
        .limit(BATCH)
    ).all()
    pending_too_long = (OutboundEmail.status != OutboundStatus.PENDING) | (OutboundEmail.created_at < cutoff)
    outbound = session.scalars(
        select(OutboundEmail.id)
        .where(claimable(now, cutoff), pending_too_long)
        .order_by(OutboundEmail.id)
        .limit(BATCH)
    ).all()
    return StuckWork(list(inbound), list(outbound))


def wake_stuck(settings: Settings) -> StuckWork:
    """Send the jobs again for whatever sits too long in a non-final state (the beat runs this)."""
    from consultant import jobs
    from consultant.db.session import session_scope

    with session_scope() as session:
        stuck = find_stuck(session, settings)
    with session_scope() as session:  # held mail whose quota or rate allowance is back: queued after commit
        release_due(session, settings)
    for inbound_id in stuck.inbound_ids:
        jobs.dispatch_now(jobs.PROCESS_INBOUND, inbound_id)
    for outbound_id in stuck.outbound_ids:
        jobs.dispatch_now(jobs.SEND_OUTBOUND, outbound_id)
    return stuck
