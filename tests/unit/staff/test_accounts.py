from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from consultant.db.base import utcnow
from consultant.db.migrate import upgrade
from consultant.db.models import AuditEntry, SignInCounter, StaffSession, StaffUser
from consultant.db.session import session_scope
from consultant.staff import accounts
from consultant.staff.accounts import (
    API,
    BROWSER,
    AccountError,
    TooManyAttempts,
    add_staff,
    reset_password,
    resume,
    set_active,
    set_role,
    sign_in,
    staff_list,
)
from consultant.staff.tokens import create_token

PASSWORD = "long enough password"


class TestAddStaff:
    def test_password_is_stored_as_argon2id(self, app):
        with session_scope() as session:
            add_staff(session, "New@Example.org", PASSWORD, "reviewer", actor="cli:root")
        with session_scope() as session:
            user = session.scalar(select(StaffUser))
            entry = session.scalar(select(AuditEntry))
        assert user.email == "new@example.org"
        assert user.password_hash.startswith("$argon2id$")
        assert (entry.actor, entry.action) == ("cli:root", "staff_added")

    @pytest.mark.parametrize("email,password,role,why", [
        ("a@b.org", "short", "reviewer", "at least"),
        ("a@b.org", PASSWORD, "boss", "role"),
        ("not an address", PASSWORD, "admin", "not an email"),
    ])
    def test_bad_accounts_are_refused(self, app, email, password, role, why):
        with session_scope() as session, pytest.raises(AccountError, match=why):
            add_staff(session, email, password, role)

    def test_an_address_has_one_account(self, app):
        with session_scope() as session:
            add_staff(session, "a@b.org", PASSWORD, "admin")
        with session_scope() as session, pytest.raises(AccountError, match="already"):
            add_staff(session, "A@b.org", PASSWORD, "admin")


def wrong_passwords_in_parallel(settings, email: str, n: int, monkeypatch) -> tuple[int, list]:
    """`n` threads sign in with wrong passwords at the same moment; returns the password checks made and the
    outcomes."""
    checks, lock = [0], threading.Lock()
    real = accounts.password_matches

    def counted(password_hash: str, password: str) -> bool:
        with lock:
            checks[0] += 1
        return real(password_hash, password)

    monkeypatch.setattr(accounts, "password_matches", counted)
    start = threading.Barrier(n)
    outcomes = [None] * n

    def attempt(i: int) -> None:
        start.wait()
        outcomes[i] = sign_in(settings, email, f"wrong guess {i}")

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return checks[0], outcomes


class TestSignIn:
    def test_right_password_opens_a_browser_session(self, app):
        with session_scope() as session:
            add_staff(session, "a@b.org", PASSWORD, "reviewer")
        outcome = sign_in(app, "A@b.org", PASSWORD)
        assert outcome.refusal is None
        with session_scope() as session:
            assert resume(session, app, outcome.token, BROWSER).email == "a@b.org"

    def test_parallel_wrong_passwords_get_only_the_limit_of_checks_on_sqlite(self, app, monkeypatch):
        with session_scope() as session:
            add_staff(session, "a@b.org", PASSWORD, "reviewer")
        checks, outcomes = wrong_passwords_in_parallel(app, "a@b.org", 40, monkeypatch)
        assert checks == app.web_sign_in_attempts == 5
        assert sum(isinstance(o.refusal, TooManyAttempts) for o in outcomes) == 35
        with session_scope() as session:
            failed = session.scalar(select(func.count()).select_from(AuditEntry)
                                    .where(AuditEntry.action == "sign_in_failed"))
            assert failed == 5
        assert isinstance(sign_in(app, "a@b.org", PASSWORD).refusal, TooManyAttempts)

    def test_parallel_wrong_passwords_get_only_the_limit_of_checks_on_postgresql(self, configure, pg_url,
                                                                                 monkeypatch):
        settings = configure(database_url=pg_url)
        upgrade(pg_url)
        with session_scope() as session:
            add_staff(session, "a@b.org", PASSWORD, "reviewer")
        checks, outcomes = wrong_passwords_in_parallel(settings, "a@b.org", 40, monkeypatch)
        assert checks == 5
        assert sum(isinstance(o.refusal, TooManyAttempts) for o in outcomes) == 35
        with session_scope() as session:
            assert session.scalar(select(SignInCounter.attempts)) == 5

    def test_an_unknown_address_is_limited_too(self, app):
        refusals = [sign_in(app, "nobody@b.org", PASSWORD).refusal for _ in range(6)]
        assert [type(r) for r in refusals] == [AccountError] * 5 + [TooManyAttempts]

    def test_the_window_passes_and_success_forgives(self, app):
        with session_scope() as session:
            add_staff(session, "a@b.org", PASSWORD, "reviewer")
        for _ in range(5):
            sign_in(app, "a@b.org", "wrong password")
        assert isinstance(sign_in(app, "a@b.org", PASSWORD).refusal, TooManyAttempts)
        with session_scope() as session:
            session.execute(update(SignInCounter).values(window_start=utcnow() - timedelta(minutes=16)))
        assert sign_in(app, "a@b.org", PASSWORD).token is not None
        with session_scope() as session:
            assert session.scalar(select(SignInCounter.attempts)) == 0

    def test_a_disabled_account_cannot_sign_in(self, app):
        with session_scope() as session:
            add_staff(session, "a@b.org", PASSWORD, "reviewer")
            add_staff(session, "admin@b.org", PASSWORD, "admin")
        with session_scope() as session:
            set_active(session, "cli:root", "a@b.org", False)
        assert sign_in(app, "a@b.org", PASSWORD).token is None


@pytest.fixture
def two_admins(app):
    with session_scope() as session:
        add_staff(session, "admin@b.org", PASSWORD, "admin")
        add_staff(session, "other@b.org", PASSWORD, "admin")
        add_staff(session, "rev@b.org", PASSWORD, "reviewer")
    return app


def actions_by(actor: str) -> list[tuple[str, str, dict]]:
    with session_scope() as session:
        return [(e.action, e.target, e.detail) for e in session.scalars(
            select(AuditEntry).where(AuditEntry.actor == actor).order_by(AuditEntry.id))]


class TestSetActive:
    def test_disabling_ends_sessions_and_tokens_and_enabling_restores_sign_in(self, two_admins):
        app = two_admins
        browser = sign_in(app, "rev@b.org", PASSWORD).token
        with session_scope() as session:
            token = create_token(session, "cli:root", "rev@b.org", "export")
        with session_scope() as session:
            set_active(session, "cli:root", "rev@b.org", False)
        with session_scope() as session:
            set_active(session, "cli:root", "rev@b.org", True)
        with session_scope() as session:
            assert resume(session, app, browser, BROWSER) is None
            assert resume(session, app, token, API) is None
        assert sign_in(app, "rev@b.org", PASSWORD).token is not None
        assert [a[0] for a in actions_by("cli:root")] == ["api_token_created", "staff_disabled", "staff_enabled"]
        assert actions_by("cli:root")[1][2]["sessions_ended"] == 2

    def test_the_last_active_admin_stays(self, two_admins):
        with session_scope() as session:
            set_active(session, "cli:root", "other@b.org", False)
        with session_scope() as session, pytest.raises(AccountError, match="last active administrator"):
            set_active(session, "cli:root", "admin@b.org", False)
        with session_scope() as session, pytest.raises(AccountError, match="no account"):
            set_active(session, "cli:root", "ghost@b.org", False)


class TestResetPassword:
    def test_new_password_ends_browser_sessions_and_forgives_failures(self, two_admins):
        app = two_admins
        old = sign_in(app, "rev@b.org", PASSWORD).token
        for _ in range(5):
            sign_in(app, "rev@b.org", "wrong password")
        with session_scope() as session:
            reset_password(session, "admin@b.org", "rev@b.org", "a brand new password")
        with session_scope() as session:
            assert resume(session, app, old, BROWSER) is None
        assert sign_in(app, "rev@b.org", PASSWORD).token is None
        assert sign_in(app, "rev@b.org", "a brand new password").token is not None
        assert actions_by("admin@b.org")[0][0] == "password_reset"

    def test_a_short_password_is_refused(self, two_admins):
        with session_scope() as session, pytest.raises(AccountError, match="at least"):
            reset_password(session, "cli:root", "rev@b.org", "short")


class TestSetRole:
    def test_role_changes_are_audited_and_the_last_admin_stays(self, two_admins):
        with session_scope() as session:
            set_role(session, "cli:root", "rev@b.org", "admin")
            set_role(session, "cli:root", "admin@b.org", "reviewer")
            set_role(session, "cli:root", "other@b.org", "reviewer")
        with session_scope() as session, pytest.raises(AccountError, match="last active administrator"):
            set_role(session, "cli:root", "rev@b.org", "reviewer")
        with session_scope() as session, pytest.raises(AccountError, match="role must be"):
            set_role(session, "cli:root", "rev@b.org", "boss")
        with session_scope() as session:
            assert {u.email: u.role for u in staff_list(session)} == {
                "admin@b.org": "reviewer", "other@b.org": "reviewer", "rev@b.org": "admin"}
        assert actions_by("cli:root")[0] == ("role_changed", actions_by("cli:root")[0][1],
                                             {"email": "rev@b.org", "before": "reviewer", "after": "admin"})


class TestResume:
    def test_an_ended_session_is_refused(self, app):
        with session_scope() as session:
            add_staff(session, "a@b.org", PASSWORD, "reviewer")
        token = sign_in(app, "a@b.org", PASSWORD).token
        with session_scope() as session:
            session.execute(update(StaffSession).values(ended_at=utcnow()))
        with session_scope() as session:
            assert resume(session, app, token, BROWSER) is None
