"""Per-sender flood guard: messages taken in from one sender in the last hour, counted from the ledger."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultant.db.base import utcnow
from consultant.db.models import UsageEvent
from consultant.usage import ledger

WINDOW = timedelta(hours=1)


def messages_last_hour(session: Session, sender_id: int, now: datetime | None = None) -> int:
    since = (now or utcnow()) - WINDOW
    return session.scalar(select(func.count()).select_from(UsageEvent).where(
        UsageEvent.sender_id == sender_id, UsageEvent.kind.in_([ledger.QUESTION, ledger.UNVERIFIED, ledger.ACCOUNT]),
        UsageEvent.at > since)) or 0


def over_rate(session: Session, sender_id: int, per_hour: int, now: datetime | None = None) -> int | None:
    """The count when the sender has used the hour's allowance, else None."""
    count = messages_last_hour(session, sender_id, now)
    return count if count >= per_hour else None
