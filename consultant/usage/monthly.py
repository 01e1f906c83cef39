"""Usage per sender or sender domain per month, for the staff web app: questions, answered at once, reviewed, and time to
answer (median, 90th percentile), with the plan and what is left of its quota now (on each sender's or
domain's latest month; consultant.usage.quota is the one place quotas are counted); and questions per day,
for the chart."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.db.base import utcnow
from consultant.db.models import (
    Consultation,
    Draft,
    DraftStatus,
    Organisation,
    OutboundEmail,
    OutboundStatus,
    Question,
    Sender,
)
from consultant.usage import quota
from consultant.usage.organisations import organisation_of
from consultant.usage.plans import Plans

ANSWER_KINDS = ("answer", "reviewed_answer")
BY = ("sender", "organisation", "domain")


@dataclass(frozen=True)
class Asked:
    question_id: int
    sender: str
    asked_at: datetime
    outcome: str  # auto, reviewed, waiting, closed
    answered_at: datetime | None
    sender_id: int

    @property
    def domain(self) -> str:
        return self.sender.rpartition("@")[2]


@dataclass(frozen=True)
class UsageRow:
    who: str
    month: str
    questions: int
    auto_answered: int
    reviewed: int
    median_answer_seconds: float | None
    p90_answer_seconds: float | None
    plan: str | None = None  # now, on the latest month only; a domain has one only when its organisation does
    remaining: int | None = None  # None with a plan: unlimited

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Day:
    day: date
    auto: int
    reviewed: int
    other: int


def asked(session: Session) -> list[Asked]:
    answered = {row.question_id: row.sent_at for row in session.execute(
        select(OutboundEmail.question_id, OutboundEmail.sent_at).where(
            OutboundEmail.kind.in_(ANSWER_KINDS), OutboundEmail.status == OutboundStatus.SENT))}
    rows = session.execute(
        select(Question.id, Question.created_at, Sender.id.label("sender_id"), Sender.address, Draft.status)
        .join(Consultation, Consultation.id == Question.consultation_id)
        .join(Sender, Sender.id == Consultation.sender_id)
        .join(Draft, Draft.question_id == Question.id, isouter=True)
        .order_by(Question.id))
    return [Asked(r.id, r.address, r.created_at, _outcome(r.status), answered.get(r.id), r.sender_id) for r in rows]


def _outcome(draft_status: str | None) -> str:
    return {DraftStatus.SENT: "auto", DraftStatus.APPROVED: "reviewed", DraftStatus.REJECTED: "closed"}.get(
        draft_status or "", "waiting")


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def usage_report(session: Session, by: str = "sender", plans: Plans | None = None) -> list[UsageRow]:
    """With `plans`, each sender's (or domain's) latest month also carries the plan and the quota left now."""
    groups: dict[tuple[str, str], list[Asked]] = defaultdict(list)
    names = _organisation_names(session) if by == "organisation" else {}
    member_of: dict[int, int | None] = {}
    for item in asked(session):
        groups[(_who(session, item, by, names, member_of), item.asked_at.strftime("%Y-%m"))].append(item)
    latest = {who: month for who, month in sorted(groups)}
    report = []
    for (who, month), items in groups.items():
        waits = [(i.answered_at - i.asked_at).total_seconds() for i in items if i.answered_at is not None]
        now = _quota_now(session, by, items, plans) if plans is not None and latest[who] == month else None
        report.append(UsageRow(
            who=who, month=month, questions=len(items),
            auto_answered=sum(i.outcome == "auto" for i in items),
            reviewed=sum(i.outcome == "reviewed" for i in items),
            median_answer_seconds=percentile(waits, 0.5), p90_answer_seconds=percentile(waits, 0.9),
            plan=now.plan if now else None, remaining=now.remaining if now else None))
    return sorted(report, key=lambda r: (r.month, r.who), reverse=False)


def _who(session: Session, item: Asked, by: str, names: dict[int, str], member_of: dict[int, int | None]) -> str:
    if by == "domain":
        return item.domain
    if by == "organisation":
        if item.sender_id not in member_of:
            member_of[item.sender_id] = organisation_of(session, item.sender_id)
        org_id = member_of[item.sender_id]
        return names[org_id] if org_id is not None else f"{item.domain} (no organisation)"
    return item.sender


def _organisation_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Organisation.id, Organisation.name)).all())


def _quota_now(session: Session, by: str, items: list[Asked], plans: Plans) -> quota.Quota | None:
    """A sender's quota (its organisation's when that holds the plan); a domain's or an organisation's only
    when the organisation holds the plan."""
    if by == "sender":
        return quota.quota_for(session, items[0].sender_id, plans)
    for sender_id in dict.fromkeys(i.sender_id for i in items):
        shared = quota.quota_for(session, sender_id, plans)
        if shared.organisation is not None:
            return shared
    return None


def questions_per_day(session: Session, days: int = 30, today: date | None = None) -> list[Day]:
    today = today or utcnow().date()
    first = today - timedelta(days=days - 1)
    counts: dict[date, dict[str, int]] = {first + timedelta(n): defaultdict(int) for n in range(days)}
    for item in asked(session):
        day = item.asked_at.date()
        if day in counts:
            counts[day][item.outcome if item.outcome in ("auto", "reviewed") else "other"] += 1
    return [Day(d, c["auto"], c["reviewed"], c["other"]) for d, c in sorted(counts.items())]
