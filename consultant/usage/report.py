"""Usage figures per sender or per organisation, for a month or for all time: questions, answered at once
or reviewed, held, remaining quota and time to answer. The CLI and the web app's usage page both use these."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultant.db.models import (
    Consultation,
    Organisation,
    OutboundEmail,
    OutboundStatus,
    Question,
    Sender,
    UsageEvent,
)
from consultant.usage import ledger, quota
from consultant.usage.organisations import organisation_of
from consultant.usage.plans import Plans

SENDER, ORGANISATION = "sender", "organisation"
NOT_ANSWERS = ("acknowledgement", "over_quota", "rate_limited", "registration")  # replies that answer nothing


@dataclass
class UsageRow:
    address: str  # the sender's address, or the organisation's name
    plan: str
    questions: int = 0
    replies: int = 0
    answered_auto: int = 0
    reviewed: int = 0
    held: int = 0
    remaining: int | None = None  # None: unlimited
    median_seconds_to_answer: float | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """'2026-03' -> [2026-03-01, 2026-04-01) in UTC; ValueError for anything else."""
    start = datetime.strptime(month, "%Y-%m").replace(tzinfo=timezone.utc)
    end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start, datetime(end.year, end.month, 1, tzinfo=timezone.utc)


def usage_report(session: Session, plans: Plans, month: str | None = None, by: str = SENDER) -> list[UsageRow]:
    bounds = month_bounds(month) if month else None
    rows: dict[str, UsageRow] = {}
    waits: dict[str, list[float]] = {}
    for sender_id, address in session.execute(select(Sender.id, Sender.address).order_by(Sender.address)):
        key, plan_row = _account_key(session, sender_id, address, plans, by)
        row = rows.setdefault(key, plan_row)
        _add_events(session, row, sender_id, bounds)
        _add_questions(session, row, sender_id, bounds, waits.setdefault(key, []))
    for key, row in rows.items():
        if waits[key]:
            row.median_seconds_to_answer = round(statistics.median(waits[key]), 1)
    return list(rows.values())


def _account_key(session: Session, sender_id: int, address: str, plans: Plans, by: str) -> tuple[str, UsageRow]:
    current = quota.quota_for(session, sender_id, plans)
    if by == ORGANISATION:
        org_id = organisation_of(session, sender_id)
        if org_id is not None:
            name = session.scalar(select(Organisation.name).where(Organisation.id == org_id))
            return name, UsageRow(name, current.plan if current.organisation else "-", remaining=current.remaining
                                  if current.organisation else None)
    return address, UsageRow(address, current.plan, remaining=current.remaining)


def _add_events(session: Session, row: UsageRow, sender_id: int, bounds) -> None:
    query = select(UsageEvent.kind, func.count()).where(UsageEvent.sender_id == sender_id)
    if bounds:
        query = query.where(UsageEvent.at >= bounds[0], UsageEvent.at < bounds[1])
    counts = dict(session.execute(query.group_by(UsageEvent.kind)).all())
    row.questions += counts.get(ledger.QUESTION, 0)
    row.replies += counts.get(ledger.REPLY, 0)


def _add_questions(session: Session, row: UsageRow, sender_id: int, bounds, waits: list[float]) -> None:
    first_sent = (select(OutboundEmail.question_id, func.min(OutboundEmail.sent_at).label("sent_at"))
                  .where(OutboundEmail.status == OutboundStatus.SENT, OutboundEmail.kind.notin_(NOT_ANSWERS))
                  .group_by(OutboundEmail.question_id).subquery())
    query = (select(Question.route, Question.created_at, first_sent.c.sent_at)
             .join(Consultation, Consultation.id == Question.consultation_id)
             .outerjoin(first_sent, first_sent.c.question_id == Question.id)
             .where(Consultation.sender_id == sender_id))
    if bounds:
        query = query.where(Question.created_at >= bounds[0], Question.created_at < bounds[1])
    for route, created_at, sent_at in session.execute(query):
        row.answered_auto += route == "auto"
        row.reviewed += route == "review"
        row.held += route == "held"
        if sent_at is not None:
            waits.append((_aware(sent_at) - _aware(created_at)).total_seconds())


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
