from __future__ import annotations

import pytest
from sqlalchemy import select

from consultant.db.models import StaffUser
from consultant.db.session import session_scope
from consultant.staff.accounts import API, AccountError, add_staff, api_token, resume


class TestAddStaff:
    def test_password_is_stored_as_argon2id(self, app):
        with session_scope() as session:
            add_staff(session, "New@Example.org", "long enough password", "reviewer")
        with session_scope() as session:
            user = session.scalar(select(StaffUser))
        assert user.email == "new@example.org"
        assert user.password_hash.startswith("$argon2id$")

    @pytest.mark.parametrize("email,password,role,why", [
        ("a@b.org", "short", "reviewer", "at least"),
        ("a@b.org", "long enough password", "boss", "role"),
        ("not an address", "long enough password", "admin", "not an email"),
    ])
    def test_bad_accounts_are_refused(self, app, email, password, role, why):
        with session_scope() as session, pytest.raises(AccountError, match=why):
            add_staff(session, email, password, role)

    def test_an_address_has_one_account(self, app):
        with session_scope() as session:
            add_staff(session, "a@b.org", "long enough password", "admin")
        with session_scope() as session, pytest.raises(AccountError, match="already"):
            add_staff(session, "A@b.org", "long enough password", "admin")


class TestApiToken:
    def test_token_resumes_as_its_user(self, app):
        with session_scope() as session:
            add_staff(session, "a@b.org", "long enough password", "admin")
            token = api_token(session, "a@b.org")
        with session_scope() as session:
            staff = resume(session, app, token, API)
            assert staff is not None and staff.email == "a@b.org" and staff.is_admin
            assert resume(session, app, token + "x", API) is None
