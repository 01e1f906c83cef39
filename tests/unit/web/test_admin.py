from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from consultant.db.models import AuditEntry, StaffSession, StaffUser
from consultant.db.session import session_scope
from consultant.web.app import create_app
from tests.support.web import ADMIN, PASSWORD, REVIEWER, csrf_of, sign_in


def audit_of(action: str) -> AuditEntry:
    with session_scope() as session:
        return session.scalar(select(AuditEntry).where(AuditEntry.action == action))


class TestStaffPage:
    def test_only_admins_see_it_and_post_to_it(self, client):
        page = sign_in(client).text
        assert client.get("/admin/staff").status_code == 403
        refused = client.post("/admin/staff/disable", data={"csrf": csrf_of(page), "email": ADMIN})
        assert refused.status_code == 403
        with session_scope() as session:
            assert session.scalar(select(StaffUser.active).where(StaffUser.email == ADMIN)) is True

    def test_disable_ends_the_reviewers_session_and_enable_lets_them_back(self, client):
        with TestClient(create_app(), base_url="https://testserver") as reviewer:
            sign_in(reviewer)
            assert reviewer.get("/", follow_redirects=False).status_code == 200
            page = sign_in(client, ADMIN).text
            listed = client.get("/admin/staff").text
            assert REVIEWER in listed and "Disable" in listed
            done = client.post("/admin/staff/disable", data={"csrf": csrf_of(page), "email": REVIEWER})
            assert f"disabled {REVIEWER}" in done.text
            assert reviewer.get("/", follow_redirects=False).status_code == 303
            assert sign_in(reviewer).status_code == 401
            client.post("/admin/staff/enable", data={"csrf": csrf_of(page), "email": REVIEWER})
            assert "Review queue" in sign_in(reviewer).text
        assert audit_of("staff_disabled").actor == ADMIN and audit_of("staff_enabled").actor == ADMIN

    def test_role_and_password_changes(self, client):
        page = sign_in(client, ADMIN).text
        made = client.post("/admin/staff/role", data={"csrf": csrf_of(page), "email": REVIEWER, "role": "admin"})
        assert f"{REVIEWER} is now admin" in made.text
        demoted = client.post("/admin/staff/role", data={"csrf": csrf_of(page), "email": ADMIN, "role": "reviewer"},
                              follow_redirects=False)
        # another admin stays, so the last one may step down
        assert demoted.headers["location"] == "/admin/staff?done=admin%40consultant.localhost%20is%20now%20reviewer"
        assert client.get("/admin/staff").status_code == 403  # the page follows the new role at once
        with TestClient(create_app(), base_url="https://testserver") as other:
            page = sign_in(other, REVIEWER).text
            last = other.post("/admin/staff/role", data={"csrf": csrf_of(page), "email": REVIEWER, "role": "reviewer"})
            assert "last active administrator" in last.text
            short = other.post("/admin/staff/password", data={"csrf": csrf_of(page), "email": ADMIN, "password": "x"})
            assert "at least 10 characters" in short.text
            reset = other.post("/admin/staff/password", data={"csrf": csrf_of(page), "email": ADMIN,
                                                              "password": "a fresh long password"})
            assert f"new password set for {ADMIN}" in reset.text
        assert client.get("/", follow_redirects=False).status_code == 303  # the admin's session ended
        assert sign_in(client, ADMIN).status_code == 401
        assert sign_in(client, ADMIN, "a fresh long password").status_code == 200
        assert audit_of("password_reset").actor == REVIEWER


class TestTokensOnTheStaffPage:
    def test_create_list_use_and_revoke(self, client):
        page = sign_in(client, ADMIN).text
        created = client.post("/admin/tokens", data={"csrf": csrf_of(page), "email": REVIEWER, "name": "export",
                                                     "days": "30"})
        token = re.search(r'<code class="token">([^<]+)</code>', created.text).group(1)
        assert "copy it now" in created.text and created.headers["cache-control"] == "no-store"
        assert client.get("/api/queue", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        listed = client.get("/admin/staff").text
        assert token not in listed
        with session_scope() as session:
            row = session.scalar(select(StaffSession).where(StaffSession.kind == "api"))
        assert row.name == "export" and row.last_used_at is not None
        row_html = re.search(rf'<tr id="token-{row.id}">.*?</tr>', listed, re.S).group(0)
        assert REVIEWER in row_html and "export" in row_html and "active" in row_html and "never" not in row_html
        revoked = client.post("/admin/tokens/revoke", data={"csrf": csrf_of(page), "token_id": str(row.id)})
        assert f"revoked token {row.id} (export) of {REVIEWER}" in revoked.text
        assert client.get("/api/queue", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        assert audit_of("api_token_revoked").actor == ADMIN

    def test_bad_requests_say_why(self, client):
        page = sign_in(client, ADMIN).text
        nameless = client.post("/admin/tokens", data={"csrf": csrf_of(page), "email": REVIEWER, "name": " "})
        assert "needs a name" in nameless.text
        too_long = client.post("/admin/tokens", data={"csrf": csrf_of(page), "email": REVIEWER, "name": "x",
                                                      "days": "9999"})
        assert "1 to 366 days" in too_long.text
        missing = client.post("/admin/tokens/revoke", data={"csrf": csrf_of(page), "token_id": "99"})
        assert "no API token 99" in missing.text
        assert PASSWORD not in nameless.text
