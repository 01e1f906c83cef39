from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from consultant.db.base import utcnow
from consultant.db.models import AuditEntry, StaffSession
from consultant.db.session import session_scope
from consultant.staff.accounts import API, AccountError, add_staff, resume
from consultant.staff.tokens import create_token, list_tokens, revoke_token

PASSWORD = "long enough password"


@pytest.fixture
def account(app):
    with session_scope() as session:
        add_staff(session, "a@b.org", PASSWORD, "admin")
    return app


class TestCreateToken:
    def test_a_token_has_a_name_and_expires_in_90_days_by_default(self, account):
        with session_scope() as session:
            token = create_token(session, "cli:root", "A@b.org", "  nightly   export ")
        with session_scope() as session:
            staff = resume(session, account, token, API)
            row = session.scalar(select(StaffSession))
            entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "api_token_created"))
        assert staff is not None and staff.email == "a@b.org"
        assert row.name == "nightly export" and row.token_hash != token
        assert timedelta(days=89, hours=23) < row.expires_at - row.created_at <= timedelta(days=90, seconds=1)
        assert entry.actor == "cli:root" and entry.detail["name"] == "nightly export"

    @pytest.mark.parametrize("email,name,days,why", [
        ("a@b.org", " ", 90, "needs a name"),
        ("a@b.org", "x", 0, "1 to 366 days"),
        ("a@b.org", "x", 367, "1 to 366 days"),
        ("ghost@b.org", "x", 90, "no active account"),
    ])
    def test_bad_requests_are_refused(self, account, email, name, days, why):
        with session_scope() as session, pytest.raises(AccountError, match=why):
            create_token(session, "cli:root", email, name, days)


class TestExpiry:
    def test_an_expired_token_is_refused(self, account):
        with session_scope() as session:
            token = create_token(session, "cli:root", "a@b.org", "old", days=1)
        with session_scope() as session:
            session.execute(update(StaffSession).values(created_at=utcnow() - timedelta(days=400),
                                                        expires_at=utcnow() - timedelta(seconds=1)))
        with session_scope() as session:
            assert resume(session, account, token, API) is None
            [info] = list_tokens(session)
        assert info.state(utcnow()) == "expired"

    def test_a_token_made_over_366_days_ago_is_refused_whatever_its_expiry(self, account):
        with session_scope() as session:
            token = create_token(session, "cli:root", "a@b.org", "backdated")
        with session_scope() as session:
            session.execute(update(StaffSession).values(created_at=utcnow() - timedelta(days=400)))
        with session_scope() as session:
            assert resume(session, account, token, API) is None
            session.execute(update(StaffSession).values(created_at=utcnow() - timedelta(days=365)))
        with session_scope() as session:
            assert resume(session, account, token, API) is not None

    def test_a_token_without_an_expiry_is_refused(self, account):
        with session_scope() as session:
            token = create_token(session, "cli:root", "a@b.org", "legacy")
        with session_scope() as session:
            session.execute(update(StaffSession).values(expires_at=None))
        with session_scope() as session:
            assert resume(session, account, token, API) is None


class TestListTokens:
    def test_last_use_is_recorded_and_revoked_tokens_are_listed_on_request(self, account):
        with session_scope() as session:
            add_staff(session, "b@b.org", PASSWORD, "reviewer")
            used = create_token(session, "cli:root", "a@b.org", "used")
            create_token(session, "cli:root", "b@b.org", "idle")
            gone = create_token(session, "cli:root", "b@b.org", "gone")
        with session_scope() as session:
            resume(session, account, used, API)
            gone_id = session.scalar(select(StaffSession.id).where(StaffSession.name == "gone"))
            revoke_token(session, "cli:root", gone_id)
        with session_scope() as session:
            listed = list_tokens(session)
            everything = list_tokens(session, include_ended=True)
            only_b = list_tokens(session, email="B@b.org", include_ended=True)
            assert resume(session, account, gone, API) is None
        now = utcnow()
        assert [(t.owner, t.name, t.state(now)) for t in listed] == [("a@b.org", "used", "active"),
                                                                     ("b@b.org", "idle", "active")]
        assert listed[0].last_used_at is not None and listed[1].last_used_at is None
        assert [t.state(now) for t in everything] == ["active", "active", "revoked"]
        assert [t.name for t in only_b] == ["idle", "gone"]
        assert set(listed[0].as_dict(now)) == {"id", "owner", "name", "created_at", "expires_at", "last_used_at",
                                               "ended_at", "state"}  # never the token or its hash


class TestRevokeToken:
    def test_revoking_is_audited_once(self, account):
        with session_scope() as session:
            create_token(session, "cli:root", "a@b.org", "export")
            token_id = session.scalar(select(StaffSession.id))
        with session_scope() as session:
            assert revoke_token(session, "a@b.org", token_id).ended_at is not None
        with session_scope() as session, pytest.raises(AccountError, match="revoked already"):
            revoke_token(session, "a@b.org", token_id)
        with session_scope() as session, pytest.raises(AccountError, match="no API token"):
            revoke_token(session, "a@b.org", token_id + 1)
        with session_scope() as session:
            entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "api_token_revoked"))
        assert (entry.actor, entry.target) == ("a@b.org", f"token:{token_id}")
