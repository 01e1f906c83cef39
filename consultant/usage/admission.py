"""The metering decision for one message, made before any reply and in the pipeline's transaction:
who the sender is, whether the From can be believed, whether the message is held (rate limit, quota),
whether it is charged, and whether it is an account command (REGISTER, a confirmation code)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from consultant.db.models import InboundEmail, UsageEvent
from consultant.settings import Settings
from consultant.usage import ledger, quota, ratelimit, registration
from consultant.usage.authenticity import Authenticity, check_sender
from consultant.usage.plans import Plans, load_plans

QUOTA_HOLD = "held for quota"
RATE_HOLD = "held for the rate limit"
REGISTER, CONFIRM = "register", "confirm"


@dataclass(frozen=True)
class Admission:
    sender_id: int
    authenticity: Authenticity
    plan: str
    hold: str | None = None  # the reason, starting with QUOTA_HOLD or RATE_HOLD
    charge: bool = False
    command: str | None = None
    token: str | None = None
    quota: quota.Quota | None = None  # before this message; None when the From cannot be believed

    @property
    def held_for_quota(self) -> bool:
        return bool(self.hold and self.hold.startswith(QUOTA_HOLD))


def sender_of(session: Session, settings: Settings, inbound_id: int, address: str, name: str) -> int:
    """The normalised sender's id, remembered on the inbound row (held mail is found by it)."""
    sender_id = ledger.sender_for(session, plans_of(settings).normalise(address), name)
    session.execute(update(InboundEmail).where(InboundEmail.id == inbound_id).values(sender_id=sender_id))
    return sender_id


def admit(session: Session, settings: Settings, inbound_id: int, sender_id: int, raw: bytes, from_address: str,
          subject: str, text: str, follow_up: bool) -> Admission:
    plans = plans_of(settings)
    account = quota.lock_account(session, sender_id, plans)
    authenticity = check_sender(raw, from_address, settings.trusted_authserv_ids, settings.require_dmarc_pass)
    base = Admission(sender_id, authenticity, account.plan.name)
    command, token = _command(subject, text) if authenticity.trusted else (None, None)
    released = released_by_staff(session, inbound_id)
    flood = None if released else ratelimit.over_rate(session, sender_id, settings.sender_messages_per_hour)
    if flood is not None:
        return _with(base, hold=f"{RATE_HOLD}: {flood} messages in the last hour "
                                f"(limit {settings.sender_messages_per_hour})")
    if not authenticity.trusted:
        return base
    current = quota.quota_for(session, sender_id, plans, account=account)
    charge = command is None and (not follow_up or plans.follow_ups_count)
    if charge and current.exhausted and not released:
        return _with(base, hold=f"{QUOTA_HOLD}: plan {current.plan}, {current.used} of {current.allowance} used",
                     quota=current)
    return _with(base, charge=charge, command=command, token=token, quota=current)


def released_by_staff(session: Session, inbound_id: int) -> bool:
    return bool(session.scalar(select(exists().where(UsageEvent.ref_key == f"{quota.GRANT}:inbound:{inbound_id}"))))


def plans_of(settings: Settings) -> Plans:
    return load_plans(settings.plans)


def _command(subject: str, text: str) -> tuple[str | None, str | None]:
    token = registration.token_in(subject, text)
    if token:
        return CONFIRM, token
    if registration.wants_registration(subject, text):
        return REGISTER, None
    return None, None


def _with(base: Admission, **changes) -> Admission:
    from dataclasses import replace

    return replace(base, **changes)
