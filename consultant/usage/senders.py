"""Staff actions and views on senders: their plan, their quota, what is held for them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from consultant.db.models import InboundEmail, InboundStatus, Organisation, Sender
from consultant.usage import quota
from consultant.usage.plans import Plans


class SenderError(ValueError):
    """A request about a sender that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class SenderView:
    address: str
    plan: str
    quota: quota.Quota
    held: int
    registered: bool
    bouncing: bool

    def as_dict(self) -> dict:
        return {"address": self.address, "plan": self.plan, "quota": self.quota.as_dict(), "held": self.held,
                "registered": self.registered, "bouncing": self.bouncing}


def sender_id_of(session: Session, address: str, plans: Plans) -> int:
    sender_id = session.scalar(select(Sender.id).where(Sender.address == plans.normalise(address)))
    if sender_id is None:
        raise SenderError(f"no sender {address!r}")
    return sender_id


def set_plan(session: Session, address: str, plan: str, plans: Plans, billing_day: int | None = None) -> None:
    plans.require(plan)
    _check_day(billing_day)
    sender_id = sender_id_of(session, address, plans)
    session.execute(update(Sender).where(Sender.id == sender_id).values(plan=plan, billing_day=billing_day))


def set_organisation_plan(session: Session, name: str, plan: str | None, plans: Plans,
                          billing_day: int | None = None) -> None:
    """A shared plan for the organisation's members (None: each member on their own plan again)."""
    if plan is not None:
        plans.require(plan)
    _check_day(billing_day)
    changed = session.execute(update(Organisation).where(Organisation.name == name)
                              .values(plan=plan, billing_day=billing_day))
    if changed.rowcount != 1:
        raise SenderError(f"no organisation named {name!r}")


def show(session: Session, address: str, plans: Plans) -> SenderView:
    return _view(session, sender_id_of(session, address, plans), plans)


def list_senders(session: Session, plans: Plans, limit: int = 1000) -> list[SenderView]:
    ids = session.scalars(select(Sender.id).order_by(Sender.address).limit(limit)).all()
    return [_view(session, sender_id, plans) for sender_id in ids]


def _view(session: Session, sender_id: int, plans: Plans) -> SenderView:
    row = session.execute(select(Sender.address, Sender.registered_at, Sender.bouncing_since)
                          .where(Sender.id == sender_id)).one()
    current = quota.quota_for(session, sender_id, plans)
    held = session.scalar(select(func.count()).select_from(InboundEmail).where(
        InboundEmail.sender_id == sender_id, InboundEmail.status == InboundStatus.HELD)) or 0
    return SenderView(row.address, current.plan, current, held, row.registered_at is not None,
                      row.bouncing_since is not None)


def _check_day(billing_day: int | None) -> None:
    if billing_day is not None and not 1 <= billing_day <= 31:
        raise SenderError("the billing day must be from 1 to 31")
