"""Guards against mail loops and backscatter: our own messages coming back, failure reports about
our replies, and a cap on automatic replies to one address per day."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from consultant.db.base import utcnow
from consultant.db.models import Consultation, OutboundEmail, Sender
from consultant.mail.bounces import Bounce


def record_bounce(session: Session, bounce: Bounce) -> list[int]:
    """Mark each of our messages the report returns, and its recipient as bouncing; the outbound ids."""
    now = utcnow()
    rows = session.execute(
        select(OutboundEmail.id, Consultation.sender_id)
        .join(Consultation, Consultation.id == OutboundEmail.consultation_id)
        .where(OutboundEmail.message_id.in_(bounce.message_ids))
    ).all()
    if not rows:
        return []
    session.execute(update(OutboundEmail).where(OutboundEmail.id.in_([r.id for r in rows]))
                    .values(bounced_at=now, bounce_reason=bounce.reason[:1000]))
    session.execute(update(Sender).where(Sender.id.in_({r.sender_id for r in rows}))
                    .values(bouncing_since=func.coalesce(Sender.bouncing_since, now), bounce_reason=bounce.reason[:1000]))
    return [r.id for r in rows]


def ours_came_back(session: Session, message_id: str | None, our_domain: str) -> bool:
    """A message carrying one of our own Message-IDs: something returned our mail to us."""
    if not message_id or not message_id.rstrip(">").lower().endswith("@" + our_domain.lower()):
        return False
    return session.scalar(select(OutboundEmail.id).where(OutboundEmail.message_id == message_id)) is not None


def replies_in_last_day(session: Session, address: str) -> int:
    since = utcnow() - timedelta(days=1)
    return session.scalar(
        select(func.count(OutboundEmail.id))
        .join(Consultation, Consultation.id == OutboundEmail.consultation_id)
        .join(Sender, Sender.id == Consultation.sender_id)
        .where(Sender.address == address, OutboundEmail.created_at >= since)
    ) or 0
