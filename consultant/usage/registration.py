"""Registration by email: a one-time token mailed to the address; confirming it (by replying, or at the
web app's link) upgrades the sender from the default plan. Tokens expire and are single use; only their
hash is stored."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from consultant.db.base import utcnow
from consultant.db.models import RegistrationToken, Sender
from consultant.usage.plans import Plans

TOKEN = re.compile(r"\bREG-([A-Za-z0-9_-]{32})(?![A-Za-z0-9_-])")
_REGISTER = re.compile(r"^\s*register\b", re.IGNORECASE)


class RegistrationError(ValueError):
    """A confirmation that cannot be accepted; the message says why (safe to show the sender)."""


@dataclass(frozen=True)
class Registered:
    sender_id: int
    address: str
    plan: str
    upgraded: bool  # False when the sender was already past the default plan


def wants_registration(subject: str, text: str) -> bool:
    """A message whose text (or, when empty, subject) starts with REGISTER."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return bool(_REGISTER.match(first) or (not first and _REGISTER.match(_strip_re(subject))))


def token_in(subject: str, text: str) -> str | None:
    match = TOKEN.search(subject) or TOKEN.search(text)
    return f"REG-{match.group(1)}" if match else None


def new_token(session: Session, sender_id: int, valid_hours: int, now: datetime | None = None) -> str:
    now = now or utcnow()
    token = f"REG-{secrets.token_urlsafe(24)}"
    session.execute(insert(RegistrationToken).values(
        sender_id=sender_id, token_hash=_hash(token), created_at=now, expires_at=now + timedelta(hours=valid_hours)))
    return token


def confirmation_url(web_base_url: str, token: str) -> str:
    return f"{web_base_url.rstrip('/')}/register/confirm?token={token}"


def redeem(session: Session, token: str, plans: Plans, sender_id: int | None = None,
           now: datetime | None = None) -> Registered:
    """Use the token once and upgrade its sender. With `sender_id`, the token must be that sender's."""
    now = now or utcnow()
    row = session.execute(select(RegistrationToken).where(RegistrationToken.token_hash == _hash(token.strip()))
                          .with_for_update()).scalar_one_or_none()
    if row is None or (sender_id is not None and row.sender_id != sender_id):
        raise RegistrationError("this confirmation code is not known for this address")
    if row.used_at is not None:
        raise RegistrationError("this confirmation code was used already")
    if row.expires_at <= now:
        raise RegistrationError("this confirmation code has expired: reply REGISTER for a new one")
    used = session.execute(update(RegistrationToken).where(
        RegistrationToken.id == row.id, RegistrationToken.used_at.is_(None)).values(used_at=now))
    if used.rowcount != 1:
        raise RegistrationError("this confirmation code was used already")
    sender = session.execute(select(Sender.address, Sender.plan).where(Sender.id == row.sender_id)
                             .with_for_update()).one()
    upgrade = sender.plan in (None, plans.default_plan)
    if upgrade:
        session.execute(update(Sender).where(Sender.id == row.sender_id)
                        .values(plan=plans.registered_plan, registered_at=now))
    return Registered(row.sender_id, sender.address, plans.registered_plan if upgrade else sender.plan, upgrade)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _strip_re(subject: str) -> str:
    return re.sub(r"^\s*((re|aw|fwd?)\s*:\s*)*", "", subject, flags=re.IGNORECASE)


def confirm_registration(token: str, session: Session | None = None) -> Registered:
    """For the web app's confirmation link: redeem the token, upgrade the sender, and release the mail held
    for its quota (queued after commit). Raises RegistrationError with a reason to show."""
    from consultant.db.session import session_scope
    from consultant.settings import get_settings
    from consultant.usage.plans import load_plans
    from consultant.usage.release import release_after_registration

    settings = get_settings()
    if session is None:
        with session_scope() as own:
            return confirm_registration(token, own)
    registered = redeem(session, token, load_plans(settings.plans))
    release_after_registration(session, settings, registered.sender_id)
    return registered
