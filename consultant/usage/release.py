"""Held mail goes back to the pipeline: on registration, when the quota renews or the hour's rate
allowance returns (the sweep), or when staff release it. Releasing only re-queues: the pipeline decides
again under the account lock, so a release is idempotent and can never grant more than the quota."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consultant import jobs
from consultant.db.base import utcnow
from consultant.db.models import InboundEmail, InboundStatus, Sender
from consultant.settings import Settings
from consultant.usage import quota, ratelimit
from consultant.usage.admission import QUOTA_HOLD, RATE_HOLD, plans_of


class ReleaseError(ValueError):
    """Nothing to release for what was asked; the message says why."""


def held_ids(session: Session, sender_id: int | None = None) -> list[int]:
    query = select(InboundEmail.id).where(InboundEmail.status == InboundStatus.HELD).order_by(InboundEmail.id)
    if sender_id is not None:
        query = query.where(InboundEmail.sender_id == sender_id)
    return list(session.scalars(query))


def requeue(session: Session, inbound_ids: list[int], why: str) -> list[int]:
    """Put held messages back to 'received' and queue them once this session commits."""
    released = []
    for inbound_id in inbound_ids:
        moved = session.execute(update(InboundEmail).where(
            InboundEmail.id == inbound_id, InboundEmail.status == InboundStatus.HELD,
        ).values(status=InboundStatus.RECEIVED, status_reason=f"released: {why}", updated_at=utcnow()))
        if moved.rowcount == 1:
            jobs.defer(session, jobs.PROCESS_INBOUND, inbound_id)
            released.append(inbound_id)
    return released


def release_by_staff(session: Session, address: str | None = None, inbound_ids: list[int] | None = None) -> list[int]:
    """Staff answer these anyway: each gets a grant in the ledger (one consultation beyond the plan)."""
    if address is not None:
        sender_id = session.scalar(select(Sender.id).where(Sender.address == address.strip().lower()))
        if sender_id is None:
            raise ReleaseError(f"no sender {address!r}")
        inbound_ids = held_ids(session, sender_id)
    rows = session.execute(select(InboundEmail.id, InboundEmail.sender_id, InboundEmail.status)
                           .where(InboundEmail.id.in_(inbound_ids or []))).all()
    not_held = sorted(set(inbound_ids or []) - {r.id for r in rows if r.status == InboundStatus.HELD})
    if not_held:
        raise ReleaseError(f"not held: {', '.join(map(str, not_held))}")
    for row in rows:
        quota.grant(session, row.sender_id, f"inbound:{row.id}")
    return requeue(session, [r.id for r in rows], "by staff")


def release_after_registration(session: Session, settings: Settings, sender_id: int) -> list[int]:
    if "registration" not in plans_of(settings).release_on:
        return []
    return requeue(session, held_ids(session, sender_id), "registered")


def release_due(session: Session, settings: Settings) -> list[int]:
    """The sweep: per sender, as many held messages as the quota and the hour's rate now allow."""
    plans = plans_of(settings)
    rows = session.execute(select(InboundEmail.id, InboundEmail.sender_id, InboundEmail.status_reason)
                           .where(InboundEmail.status == InboundStatus.HELD).order_by(InboundEmail.id)).all()
    released: list[int] = []
    for sender_id in dict.fromkeys(r.sender_id for r in rows):
        mine = [r for r in rows if r.sender_id == sender_id]
        room = settings.sender_messages_per_hour - ratelimit.messages_last_hour(session, sender_id)
        left = quota.quota_for(session, sender_id, plans).remaining
        quota_room = 0 if "renewal" not in plans.release_on else (room if left is None else left)
        due = [r.id for r in mine if (r.status_reason or "").startswith(RATE_HOLD)]
        due += [r.id for r in mine if (r.status_reason or "").startswith(QUOTA_HOLD)][:quota_room]
        released += requeue(session, sorted(due)[:max(0, room)], "quota or rate allowance available")
    return released
