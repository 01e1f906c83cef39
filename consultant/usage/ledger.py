"""The usage ledger: append-only events per sender, each recorded at most once (by its ref key)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from consultant.db.base import UTCDateTime, utcnow
from consultant.db.models import Consultation, Sender, UsageEvent
from consultant.db.upsert import insert_for

QUESTION = "question"
REPLY = "reply"
ACCOUNT = "account"  # a REGISTER or confirmation message: counted for rate limits, never charged
UNVERIFIED = "unverified"  # a message whose From failed authentication: counted for rate limits, never charged


def sender_for(session: Session, address: str, display_name: str = "") -> int:
    """The sender's id, created on first contact; marks them seen now. One statement, safe under concurrency."""
    now = utcnow()
    insert = insert_for(session)(Sender).values(
        address=address, display_name=display_name or None, first_seen=now, last_seen=now
    )
    statement = insert.on_conflict_do_update(
        index_elements=[Sender.address],
        set_={"last_seen": now, "display_name": func.coalesce(Sender.display_name, insert.excluded.display_name)},
    ).returning(Sender.id)
    return session.execute(statement).scalar_one()


def record(session: Session, sender_id: int, kind: str, ref_key: str, consultation_id: int | None = None,
           at: datetime | None = None) -> bool:
    """Append an event unless one with this ref key exists (also under concurrency). Returns whether it was added."""
    values = {"sender_id": sender_id, "kind": kind, "ref_key": ref_key, "consultation_id": consultation_id,
              "at": at or utcnow()}
    statement = insert_for(session)(UsageEvent).values(values).on_conflict_do_nothing(index_elements=["ref_key"])
    return session.execute(statement).rowcount == 1


def record_for_consultation(session: Session, consultation_id: int, kind: str, ref_key: str) -> bool:
    """Like record(), charged to whoever asked in that consultation (one statement)."""
    asker = select(
        Consultation.sender_id, literal(kind), literal(ref_key), Consultation.id, literal(utcnow(), UTCDateTime)
    ).where(Consultation.id == consultation_id)
    statement = (
        insert_for(session)(UsageEvent)
        .from_select(["sender_id", "kind", "ref_key", "consultation_id", "at"], asker)
        .on_conflict_do_nothing(index_elements=["ref_key"])
    )
    return session.execute(statement).rowcount == 1


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
