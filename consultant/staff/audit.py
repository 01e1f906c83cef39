"""The audit log: one append-only row per staff action. Details carry ids and outcomes, never mail text."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from consultant.db.base import utcnow
from consultant.db.models import AuditEntry


def record(session: Session, actor: str | None, action: str, target: str | None = None, **detail) -> None:
    session.execute(insert(AuditEntry).values(at=utcnow(), actor=actor, action=action, target=target,
                                              detail=detail))


def recent(session: Session, limit: int = 200, actor: str | None = None, action: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(session.scalars(query))
