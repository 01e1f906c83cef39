from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from consultant.db.base import utcnow
from consultant.db.models import AuditEntry, StaffSession
from consultant.db.session import session_scope
from tests.support.web import ADMIN, PASSWORD, REVIEWER, csrf_of, sign_in


class TestSignIn:
    def test_a_page_needs_sign_in(self, client):
        response = client.get("/", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/sign-in?next=%2F"

    def test_right_password_opens_a_secure_httponly_samesite_session(self, client):
        response = sign_in(client)
        assert response.status_code == 200
        assert "Review queue" in response.text
        cookie = next(h for h in response.history[0].headers.get_list("set-cookie") if "consultant_session=" in h)
        assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=strict" in cookie

    def test_wrong_password_is_refused_and_audited(self, client):
        response = sign_in(client, password="not the password")
        assert response.status_code == 401
        assert "wrong email or password" in response.text
        with session_scope() as session:
            assert session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all() == ["staff_added", "staff_added", "sign_in_failed"]

    def test_failed_sign_ins_are_rate_limited(self, client):
        statuses = [sign_in(client, password=f"wrong {n}").status_code for n in range(6)]
        assert statuses == [401] * 5 + [429]
        assert sign_in(client).status_code == 429  # even the right password waits out the window

    def test_idle_session_ends(self, client):
        sign_in(client)
        with session_scope() as session:
            session.execute(update(StaffSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
        response = client.get("/", follow_redirects=False)
        assert response.status_code == 303

    def test_next_never_leaves_the_site(self, client):
        token = csrf_of(client.get("/sign-in").text)
        response = client.post("/sign-in", data={"csrf": token, "email": REVIEWER, "password": PASSWORD,
                                                  "next": "//evil.example/"}, follow_redirects=False)
        assert response.headers["location"] == "/"


def all_routes(app) -> list:
    routes = []
    for route in app.routes:
        inner = getattr(route, "original_router", None)
        routes += inner.routes if inner is not None else [route]
    return routes


class TestCsrf:
    def test_sign_in_without_token_is_403(self, client):
        response = client.post("/sign-in", data={"email": REVIEWER, "password": PASSWORD})
        assert response.status_code == 403

    def test_every_form_post_without_token_is_403(self, client):
        sign_in(client, ADMIN)
        posts = [r.path for r in all_routes(client.app)
                 if "POST" in r.methods and not r.path.startswith(("/api/", "/sign-in"))]
        assert len(posts) >= 11
        for path in posts:
            concrete = path.replace("{consultation_id}", "1").replace("{outbound_id}", "1") \
                .replace("{inbound_id}", "1").replace("{code}", "K76.0").replace("{system}", "icd10cm")
            response = client.post(concrete, data={"text": "x"}, follow_redirects=False)
            assert response.status_code == 403, path
            response = client.post(concrete, data={"text": "x", "csrf": "forged"}, follow_redirects=False)
            assert response.status_code == 403, path

    def test_sign_out_with_token_ends_the_session(self, client):
        page = sign_in(client).text
        client.post("/sign-out", data={"csrf": csrf_of(page)})
        assert client.get("/", follow_redirects=False).status_code == 303


class TestRoles:
    def test_reviewer_cannot_open_admin_pages(self, client):
        sign_in(client)
        assert client.get("/admin/audit").status_code == 403

    def test_admin_sees_the_audit_log(self, client):
        sign_in(client, password="wrong password")
        sign_in(client, ADMIN)
        page = client.get("/admin/audit")
        assert page.status_code == 200
        assert "sign_in_failed" in page.text and "signed_in" in page.text and ADMIN in page.text
