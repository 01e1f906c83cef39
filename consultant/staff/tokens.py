"""API tokens for scripts (`Authorization: Bearer TOKEN`): each has a name, an expiry (90 days unless asked
otherwise), and a last-used time; administrators list and revoke them. Only a token's hash is stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.db.base import utcnow
from consultant.db.models import StaffSession, StaffUser
from consultant.staff import audit
from consultant.staff.accounts import API, MAX_TOKEN_DAYS, AccountError, normalise_email, open_session, token_expired

DEFAULT_DAYS = 90
MAX_DAYS = MAX_TOKEN_DAYS
MAX_NAME = 100


@dataclass(frozen=True)
class TokenInfo:
    id: int
    owner: str
    name: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    ended_at: datetime | None

    def state(self, now: datetime) -> str:
        if self.ended_at is not None:
            return "revoked"
        if token_expired(self.created_at, self.expires_at, now):
            return "expired"
        return "active"

    def as_dict(self, now: datetime) -> dict:
        when = {f: (getattr(self, f).isoformat() if getattr(self, f) else None)
                for f in ("created_at", "expires_at", "last_used_at", "ended_at")}
        return {"id": self.id, "owner": self.owner, "name": self.name, **when, "state": self.state(now)}


def create_token(session: Session, actor: str, email: str, name: str, days: int = DEFAULT_DAYS) -> str:
    """A new token for the account at `email`, valid for `days`; returns the token (shown once)."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise AccountError(f"a token needs a name of 1 to {MAX_NAME} characters")
    if not 1 <= days <= MAX_DAYS:
        raise AccountError(f"a token lasts 1 to {MAX_DAYS} days")
    user = session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email),
                                                  StaffUser.active.is_(True)))
    if user is None:
        raise AccountError(f"no active account for {email}")
    expires_at = utcnow() + timedelta(days=days)
    token = open_session(session, user, API, name=name, expires_at=expires_at)
    audit.record(session, actor, "api_token_created", f"staff:{user.id}", name=name,
                 expires=expires_at.date().isoformat())
    return token


def list_tokens(session: Session, email: str | None = None, include_ended: bool = False) -> list[TokenInfo]:
    query = (select(StaffSession, StaffUser.email).join(StaffUser, StaffUser.id == StaffSession.user_id)
             .where(StaffSession.kind == API).order_by(StaffUser.email, StaffSession.id))
    if email:
        query = query.where(StaffUser.email == normalise_email(email))
    if not include_ended:
        query = query.where(StaffSession.ended_at.is_(None))
    return [TokenInfo(row.id, owner, row.name or "(unnamed)", row.created_at, row.expires_at, row.last_used_at,
                      row.ended_at) for row, owner in session.execute(query)]


def revoke_token(session: Session, actor: str, token_id: int) -> TokenInfo:
    row = session.scalar(select(StaffSession).where(StaffSession.id == token_id, StaffSession.kind == API)
                         .with_for_update())
    if row is None:
        raise AccountError(f"no API token {token_id}")
    if row.ended_at is not None:
        raise AccountError(f"API token {token_id} is revoked already")
    row.ended_at = utcnow()
    audit.record(session, actor, "api_token_revoked", f"token:{token_id}", owner_id=row.user_id, name=row.name)
    return TokenInfo(row.id, row.user.email, row.name or "(unnamed)", row.created_at, row.expires_at,
                     row.last_used_at, row.ended_at)
