"""Staff accounts and sign-in: argon2id password hashes, sessions with an idle timeout, a limit on sign-in
attempts per address (counted before the password is checked), and the administration of accounts (list,
disable, enable, reset a password, change a role), each audited with the actor who did it."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from consultant.db.base import utcnow
from consultant.db.models import SignInCounter, StaffRole, StaffSession, StaffUser
from consultant.db.session import in_transaction
from consultant.settings import Settings
from consultant.staff import audit

BROWSER = "browser"
API = "api"
SIGN_IN_FAILED = "sign_in_failed"
MIN_PASSWORD = 10
MAX_TOKEN_DAYS = 366  # no API token outlives this, whatever its row says

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


def add_staff(session: Session, email: str, password: str, role: str, actor: str | None = None) -> StaffUser:
    email = normalise_email(email)
    _check_role(role)
    _check_password(password)
    if session.scalar(select(StaffUser.id).where(StaffUser.email == email)) is not None:
        raise AccountError(f"{email} already has an account")
    user = StaffUser(email=email, password_hash=_hasher.hash(password), role=role, active=True, created_at=utcnow())
    session.add(user)
    session.flush()
    audit.record(session, actor, "staff_added", f"staff:{user.id}", email=email, role=role)
    return user


@dataclass(frozen=True)
class SignIn:
    """A session token, or why there is none (a failure is recorded in the audit log)."""

    token: str | None = None
    refusal: AccountError | None = None


def sign_in(settings: Settings, email: str, password: str) -> SignIn:
    """Check the password and open a browser session (only the token's hash is stored).

    Three short transactions: the attempt is counted and committed first (so parallel guesses cannot pass the
    limit together), the password is checked outside any transaction, then the outcome is written."""
    try:
        email = normalise_email(email)
    except AccountError:
        return SignIn(refusal=AccountError("wrong email or password"))
    allowed, password_hash = in_transaction(lambda session: (_count_attempt(session, settings, email),
                                                             _active_password_hash(session, email)))
    if not allowed:
        return SignIn(refusal=TooManyAttempts(
            "too many failed sign-ins for this address; wait a few minutes and try again"))
    if password_hash is None:
        _hasher.hash(password)  # an unknown address costs as much time as a wrong password
    if password_hash is None or not password_matches(password_hash, password):
        in_transaction(lambda session: audit.record(session, None, SIGN_IN_FAILED, f"email:{email}"))
        return SignIn(refusal=AccountError("wrong email or password"))
    return SignIn(token=in_transaction(lambda session: _signed_in(session, email, password)))


def _active_password_hash(session: Session, email: str) -> str | None:
    return session.scalar(select(StaffUser.password_hash).where(StaffUser.email == email,
                                                                StaffUser.active.is_(True)))


def _count_attempt(session: Session, settings: Settings, email: str) -> bool:
    """Count one sign-in attempt for the address, unless the window already holds the limit: one conditional
    UPDATE, which locks the address's row, so concurrent attempts are counted one after another."""
    now = utcnow()
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(SignInCounter).values(email=email, attempts=0, window_start=now)
                    .on_conflict_do_nothing(index_elements=["email"]))
    stale = SignInCounter.window_start < now - timedelta(minutes=settings.web_sign_in_window_minutes)
    counted = session.execute(
        update(SignInCounter)
        .where(SignInCounter.email == email, or_(stale, SignInCounter.attempts < settings.web_sign_in_attempts))
        .values(attempts=case((stale, 1), else_=SignInCounter.attempts + 1),
                window_start=case((stale, now), else_=SignInCounter.window_start))
        .returning(SignInCounter.attempts)
        .execution_options(synchronize_session=False)
    ).first()
    return counted is not None


def _signed_in(session: Session, email: str, password: str) -> str:
    user = session.scalar(select(StaffUser).where(StaffUser.email == email))
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    _clear_attempts(session, email)
    token = open_session(session, user, BROWSER)
    audit.record(session, user.email, "signed_in", f"staff:{user.id}")
    return token


def _clear_attempts(session: Session, email: str) -> None:
    session.execute(update(SignInCounter).where(SignInCounter.email == email).values(attempts=0)
                    .execution_options(synchronize_session=False))


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def open_session(session: Session, user: StaffUser, kind: str, name: str | None = None,
                 expires_at: datetime | None = None) -> str:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = StaffSession(token_hash=token_hash(token), user_id=user.id, kind=kind, csrf_token=secrets.token_urlsafe(32),
                       created_at=now, last_seen_at=now, name=name, expires_at=expires_at)
    session.add(row)
    session.flush()
    return token


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def resume(session: Session, settings: Settings, token: str, kind: str) -> Staff | None:
    """The staff member a token belongs to, if its session is open: a browser's not idle too long, an API
    token's not past its expiry."""
    row = session.execute(
        select(StaffSession.id, StaffSession.csrf_token, StaffSession.created_at, StaffSession.last_seen_at,
               StaffSession.expires_at, StaffUser.id.label("user_id"), StaffUser.email, StaffUser.role)
        .join(StaffUser, StaffUser.id == StaffSession.user_id)
        .where(StaffSession.token_hash == token_hash(token), StaffSession.kind == kind,
               StaffSession.ended_at.is_(None), StaffUser.active.is_(True))
    ).one_or_none()
    if row is None:
        return None
    now = utcnow()
    if kind == API and token_expired(row.created_at, row.expires_at, now):
        return None
    if kind == BROWSER and row.last_seen_at < now - timedelta(minutes=settings.web_idle_minutes):
        session.execute(update(StaffSession).where(StaffSession.id == row.id).values(ended_at=now))
        return None
    seen = {"last_seen_at": now} | ({"last_used_at": now} if kind == API else {})
    session.execute(update(StaffSession).where(StaffSession.id == row.id).values(**seen))
    return Staff(row.user_id, row.email, row.role, row.id, row.csrf_token)


def token_expired(created_at: datetime, expires_at: datetime | None, now: datetime) -> bool:
    """An API token is refused from its expiry on, without one, and once older than MAX_TOKEN_DAYS."""
    return expires_at is None or expires_at <= now or created_at + timedelta(days=MAX_TOKEN_DAYS) <= now


def sign_out(session: Session, staff: Staff) -> None:
    session.execute(update(StaffSession).where(StaffSession.id == staff.session_id).values(ended_at=utcnow()))
    audit.record(session, staff.email, "signed_out", f"staff:{staff.id}")


def staff_list(session: Session) -> list[StaffUser]:
    """Every account, disabled ones too, by address."""
    return list(session.scalars(select(StaffUser).order_by(StaffUser.email)))


def set_active(session: Session, actor: str, email: str, active: bool) -> StaffUser:
    """Disable (every session and token of the account ends) or enable an account."""
    user = account(session, email)
    if not active and user.active and user.role == StaffRole.ADMIN:
        _keep_an_admin(session, user)
    user.active = active
    ended = 0 if active else _end_sessions(session, user.id, kinds=(BROWSER, API))
    audit.record(session, actor, "staff_enabled" if active else "staff_disabled", f"staff:{user.id}",
                 email=user.email, sessions_ended=ended)
    return user


def reset_password(session: Session, actor: str, email: str, password: str) -> StaffUser:
    """A new password; the account's browser sessions end and its failed sign-ins are forgiven."""
    _check_password(password)
    user = account(session, email)
    user.password_hash = _hasher.hash(password)
    ended = _end_sessions(session, user.id, kinds=(BROWSER,))
    _clear_attempts(session, user.email)
    audit.record(session, actor, "password_reset", f"staff:{user.id}", email=user.email, sessions_ended=ended)
    return user


def set_role(session: Session, actor: str, email: str, role: str) -> StaffUser:
    _check_role(role)
    user = account(session, email)
    if user.role == StaffRole.ADMIN and role != StaffRole.ADMIN and user.active:
        _keep_an_admin(session, user)
    before, user.role = user.role, role
    audit.record(session, actor, "role_changed", f"staff:{user.id}", email=user.email, before=before, after=role)
    return user


def account(session: Session, email: str) -> StaffUser:
    """The account at this address (locked for the change about to be made), or AccountError."""
    user = session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email)).with_for_update())
    if user is None:
        raise AccountError(f"no account for {email}")
    return user


def _keep_an_admin(session: Session, user: StaffUser) -> None:
    """Refuses to take away the last active administrator (nobody could manage accounts in the web app)."""
    others = session.scalar(select(func.count()).select_from(StaffUser).where(
        StaffUser.role == StaffRole.ADMIN, StaffUser.active.is_(True), StaffUser.id != user.id))
    if not others:
        raise AccountError(f"{user.email} is the last active administrator: make another one first")


def _end_sessions(session: Session, user_id: int, kinds: tuple[str, ...]) -> int:
    result = session.execute(update(StaffSession).where(
        StaffSession.user_id == user_id, StaffSession.kind.in_(kinds), StaffSession.ended_at.is_(None))
        .values(ended_at=utcnow()).execution_options(synchronize_session=False))
    return result.rowcount


def _check_role(role: str) -> None:
    if role not in StaffRole.ALL:
        raise AccountError(f"role must be one of {', '.join(StaffRole.ALL)}")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
