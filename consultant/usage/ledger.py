"""The usage ledger: append-only events per sender, each recorded at most once (by its ref key)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from consultant.db.base import utcnow
from consultant.db.models import Sender, UsageEvent

QUESTION = "question"
REPLY = "reply"


def sender_for(session: Session, address: str, display_name: str = "") -> Sender:
    sender = session.scalar(select(Sender).where(Sender.address == address))
    now = utcnow()
    if sender is None:
        sender = Sender(address=address, display_name=display_name or None, first_seen=now, last_seen=now)
        session.add(sender)
        session.flush()
    else:
        sender.last_seen = now
        if display_name and not sender.display_name:
            sender.display_name = display_name
    return sender


def record(session: Session, sender_id: int, kind: str, ref_key: str, consultation_id: int | None = None) -> bool:
    """Append an event unless one with this ref key exists (also under concurrency). Returns whether it was added."""
    values = {"sender_id": sender_id, "kind": kind, "ref_key": ref_key, "consultation_id": consultation_id,
              "at": utcnow()}
    statement = _insert_for(session)(UsageEvent).values(values).on_conflict_do_nothing(index_elements=["ref_key"])
    return session.execute(statement).rowcount == 1


def _insert_for(session: Session):
    return postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


@dataclass(frozen=True)
class SenderUsage:
    address: str
    questions: int
    replies: int
    first_seen: datetime
    last_seen: datetime

    def as_dict(self) -> dict:
        row = asdict(self)
        row["first_seen"] = self.first_seen.isoformat()
        row["last_seen"] = self.last_seen.isoformat()
        return row


def usage_by_sender(session: Session) -> list[SenderUsage]:
    counts = (
        select(
            UsageEvent.sender_id,
            func.sum(case((UsageEvent.kind == QUESTION, 1), else_=0)).label("questions"),
            func.sum(case((UsageEvent.kind == REPLY, 1), else_=0)).label("replies"),
        )
        .group_by(UsageEvent.sender_id)
        .subquery()
    )
    rows = session.execute(
        select(Sender.address, counts.c.questions, counts.c.replies, Sender.first_seen, Sender.last_seen)
        .join(counts, counts.c.sender_id == Sender.id, isouter=True)
        .order_by(Sender.last_seen.desc(), Sender.address)
    ).all()
    return [SenderUsage(r.address, int(r.questions or 0), int(r.replies or 0), r.first_seen, r.last_seen) for r in rows]
