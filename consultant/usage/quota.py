"""Quotas, computed from the ledger: consultations charged (and staff grants) within the plan's current period.

The account is the sender, or its organisation when the organisation holds a plan (its members share one
quota). Deciding and charging happen under a row lock on the account, in the caller's transaction, so two
workers handling one sender's burst can never both take the last consultation."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from consultant.db.base import utcnow
from consultant.db.models import Organisation, Sender, UsageEvent
from consultant.usage import ledger
from consultant.usage.organisations import organisation_of
from consultant.usage.plans import LIFETIME, Plan, Plans

CONSULTATION = "consultation"  # one consultation charged against the quota
GRANT = "grant"  # staff gave one more (a released question)


@dataclass(frozen=True)
class Account:
    sender_id: int
    plan: Plan
    billing_day: int
    organisation_id: int | None = None  # set when the organisation's plan applies
    organisation_name: str | None = None


@dataclass(frozen=True)
class Quota:
    plan: str
    allowance: int | None  # None: unlimited
    used: int
    period_start: datetime | None  # None: the plan counts a lifetime
    period_end: datetime | None
    organisation: str | None = None

    @property
    def remaining(self) -> int | None:
        return None if self.allowance is None else max(0, self.allowance - self.used)

    @property
    def exhausted(self) -> bool:
        return self.remaining == 0

    def line(self) -> str:
        """One line for every automatic reply."""
        whose = f"your organisation's plan ({self.organisation}: {self.plan})" if self.organisation \
            else f"your plan ({self.plan})"
        if self.allowance is None:
            return f"Consultations: {whose} has no limit."
        if self.period_end is None:
            return f"Consultations left on {whose}: {self.remaining} of {self.allowance}."
        return (f"Consultations left this period on {whose}: {self.remaining} of {self.allowance}, "
                f"renewing on {self.period_end:%Y-%m-%d}.")

    def as_dict(self) -> dict:
        return {"plan": self.plan, "allowance": self.allowance, "used": self.used, "remaining": self.remaining,
                "period_start": self.period_start.isoformat() if self.period_start else None,
                "period_end": self.period_end.isoformat() if self.period_end else None,
                "organisation": self.organisation}


def account_of(session: Session, sender_id: int, plans: Plans) -> Account:
    plan_name, billing_day = session.execute(
        select(Sender.plan, Sender.billing_day).where(Sender.id == sender_id)).one()
    org_id = organisation_of(session, sender_id)
    if org_id is not None:
        org = session.execute(select(Organisation.name, Organisation.plan, Organisation.billing_day)
                              .where(Organisation.id == org_id)).one()
        if org.plan is not None:
            plan = plans.get(org.plan)
            return Account(sender_id, plan, org.billing_day or plan.billing_day, org_id, org.name)
    plan = plans.get(plan_name)
    return Account(sender_id, plan, billing_day or plan.billing_day)


def lock_account(session: Session, sender_id: int, plans: Plans) -> Account:
    """Lock the rows the quota decision depends on (PostgreSQL: FOR UPDATE; SQLite writes one at a time)."""
    session.execute(select(Sender.id).where(Sender.id == sender_id).with_for_update())
    account = account_of(session, sender_id, plans)
    if account.organisation_id is not None:
        session.execute(select(Organisation.id).where(Organisation.id == account.organisation_id).with_for_update())
    return account


def period(plan: Plan, billing_day: int, now: datetime) -> tuple[datetime | None, datetime | None]:
    """The current quota period: [start, end) from the billing day of this or last month; None for a lifetime."""
    if plan.unlimited or plan.period == LIFETIME:
        return None, None
    today = now.date()
    start = _billing_date(today.year, today.month, billing_day)
    if today < start:
        start = _billing_date(*_shift(today.year, today.month, -1), billing_day)
    end = _billing_date(*_shift(start.year, start.month, 1), billing_day)
    return _midnight(start), _midnight(end)


def quota_for(session: Session, sender_id: int, plans: Plans, now: datetime | None = None,
              account: Account | None = None) -> Quota:
    now = now or utcnow()
    account = account or account_of(session, sender_id, plans)
    start, end = period(account.plan, account.billing_day, now)
    counts = dict(session.execute(
        select(UsageEvent.kind, func.count()).where(
            UsageEvent.sender_id.in_(members(session, account)), UsageEvent.kind.in_([CONSULTATION, GRANT]),
            *([UsageEvent.at >= start, UsageEvent.at < end] if start and end else []),
        ).group_by(UsageEvent.kind)).all())
    allowance = None if account.plan.unlimited else account.plan.consultations + counts.get(GRANT, 0)
    return Quota(account.plan.name, allowance, counts.get(CONSULTATION, 0), start, end, account.organisation_name)


def charge(session: Session, sender_id: int, ref_key: str, consultation_id: int | None,
           at: datetime | None = None) -> bool:
    """Record one consultation against the quota; the ref key makes a repeat a no-op."""
    return ledger.record(session, sender_id, CONSULTATION, f"{CONSULTATION}:{ref_key}", consultation_id, at)


def grant(session: Session, sender_id: int, ref_key: str) -> bool:
    """Staff allow one consultation beyond the plan (recorded once per ref key)."""
    return ledger.record(session, sender_id, GRANT, f"{GRANT}:{ref_key}")


def members(session: Session, account: Account):
    """The sender ids whose consultations count for this account."""
    if account.organisation_id is None:
        return select(Sender.id).where(Sender.id == account.sender_id)
    domains = session.scalar(select(Organisation.domains).where(Organisation.id == account.organisation_id))
    at_domain = [Sender.address.like(f"%@{domain}") for domain in domains]
    return select(Sender.id).where(or_(
        Sender.organisation_id == account.organisation_id,
        (Sender.organisation_id.is_(None)) & or_(*at_domain) if at_domain else False,
    ))


def _billing_date(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _shift(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)
