"""Staff accounts and sign-in: argon2id password hashes, sessions with an idle timeout, API tokens,
and a limit on failed sign-ins per address (counted in the audit log, so every process sees them)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consultant.db.base import utcnow
from consultant.db.models import StaffRole, StaffSession, StaffUser
from consultant.settings import Settings
from consultant.staff import audit

BROWSER = "browser"
API = "api"
SIGN_IN_FAILED = "sign_in_failed"
MIN_PASSWORD = 10

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


class AccountError(ValueError):
    """A request about an account that cannot be granted; the message says why."""


class TooManyAttempts(AccountError):
    pass


@dataclass(frozen=True)
class Staff:
    """Who is signed in, as the web app needs it."""

    id: int
    email: str
    role: str
    session_id: int
    csrf_token: str

    @property
    def is_admin(self) -> bool:
        return self.role == StaffRole.ADMIN


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or any(c.isspace() for c in email) or len(email) > 320:
        raise AccountError(f"not an email address: {email!r}")
    return email


def add_staff(session: Session, email: str, password: str, role: str) -> StaffUser:
    email = normalise_email(email)
    if role not in StaffRole.ALL:
        raise AccountError(f"role must be one of {', '.join(StaffRole.ALL)}")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    if session.scalar(select(StaffUser.id).where(StaffUser.email == email)) is not None:
        raise AccountError(f"{email} already has an account")
    user = StaffUser(email=email, password_hash=_hasher.hash(password), role=role, active=True, created_at=utcnow())
    session.add(user)
    session.flush()
    audit.record(session, None, "staff_added", f"staff:{user.id}", email=email, role=role)
    return user


@dataclass(frozen=True)
class SignIn:
    """A session token, or why there is none (the failure is recorded: the caller commits either way)."""

    token: str | None = None
    refusal: AccountError | None = None


def sign_in(session: Session, settings: Settings, email: str, password: str) -> SignIn:
    """Check the password and open a browser session (only the token's hash is stored)."""
    try:
        email = normalise_email(email)
    except AccountError:
        return SignIn(refusal=AccountError("wrong email or password"))
    window_start = utcnow() - timedelta(minutes=settings.web_sign_in_window_minutes)
    if audit.count_since(session, SIGN_IN_FAILED, f"email:{email}", window_start) >= settings.web_sign_in_attempts:
        return SignIn(refusal=TooManyAttempts(
            "too many failed sign-ins for this address; wait a few minutes and try again"))
    user = session.scalar(select(StaffUser).where(StaffUser.email == email, StaffUser.active.is_(True)))
    if user is None:
        _hasher.hash(password)  # an unknown address costs as much time as a wrong password
    if user is None or not _password_matches(user, password):
        audit.record(session, None, SIGN_IN_FAILED, f"email:{email}")
        return SignIn(refusal=AccountError("wrong email or password"))
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    token = open_session(session, user, BROWSER)
    audit.record(session, user.email, "signed_in", f"staff:{user.id}")
    return SignIn(token=token)


def _password_matches(user: StaffUser, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def open_session(session: Session, user: StaffUser, kind: str) -> str:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(StaffSession(token_hash=token_hash(token), user_id=user.id, kind=kind,
                             csrf_token=secrets.token_urlsafe(32), created_at=now, last_seen_at=now))
    session.flush()
    return token


def api_token(session: Session, email: str) -> str:
    """A token for scripts (Authorization: Bearer); it does not expire when idle."""
    user = session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email),
                                                  StaffUser.active.is_(True)))
    if user is None:
        raise AccountError(f"no active account for {email}")
    token = open_session(session, user, API)
    audit.record(session, user.email, "api_token_created", f"staff:{user.id}")
    return token


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def resume(session: Session, settings: Settings, token: str, kind: str) -> Staff | None:
    """The staff member a token belongs to, if its session is open (and, in a browser, not idle too long)."""
    row = session.execute(
        select(StaffSession.id, StaffSession.csrf_token, StaffSession.last_seen_at, StaffUser.id.label("user_id"),
               StaffUser.email, StaffUser.role)
        .join(StaffUser, StaffUser.id == StaffSession.user_id)
        .where(StaffSession.token_hash == token_hash(token), StaffSession.kind == kind,
               StaffSession.ended_at.is_(None), StaffUser.active.is_(True))
    ).one_or_none()
    if row is None:
        return None
    now = utcnow()
    if kind == BROWSER and row.last_seen_at < now - timedelta(minutes=settings.web_idle_minutes):
        session.execute(update(StaffSession).where(StaffSession.id == row.id).values(ended_at=now))
        return None
    session.execute(update(StaffSession).where(StaffSession.id == row.id).values(last_seen_at=now))
    return Staff(row.user_id, row.email, row.role, row.id, row.csrf_token)


def sign_out(session: Session, staff: Staff) -> None:
    session.execute(update(StaffSession).where(StaffSession.id == staff.session_id).values(ended_at=utcnow()))
    audit.record(session, staff.email, "signed_out", f"staff:{staff.id}")


def staff_list(session: Session) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.email)))
