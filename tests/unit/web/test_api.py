from __future__ import annotations

from sqlalchemy import select

from consultant import jobs
from consultant.db.models import Draft, DraftStatus
from consultant.db.session import session_scope
from consultant.staff.tokens import create_token
from tests.builders import question_email
from tests.support.web import ADMIN, REVIEWER, ask, sign_in

COVERAGE = "Does Medicare pay for K76.0 when billed with E11.9?"


def bearer() -> dict[str, str]:
    with session_scope() as session:
        return {"Authorization": f"Bearer {create_token(session, 'cli:test', REVIEWER, 'tests')}"}


class TestApi:
    def test_needs_sign_in(self, client):
        assert client.get("/api/queue").status_code == 401
        assert client.get("/api/queue", headers={"Authorization": "Bearer nonsense"}).status_code == 401
        assert client.get("/api/openapi.json").status_code == 401

    def test_queue_detail_and_send_with_a_token(self, client, staff_app, dispatched):
        ask(staff_app, question_email(COVERAGE))
        auth = bearer()
        [item] = client.get("/api/queue", headers=auth).json()
        assert item["reference"] == "CC-000001" and "coverage" in item["intents"]
        detail = client.get("/api/consultations/1", headers=auth).json()
        [draft] = detail["drafts"]
        assert "[REVIEWER:" in draft["body_text"]
        refused = client.post(f"/api/drafts/{draft['id']}/send", json={"text": draft["body_text"]}, headers=auth)
        assert refused.status_code == 409 and "REVIEWER" in refused.json()["detail"]
        sent = client.post(f"/api/drafts/{draft['id']}/send", json={"text": "Covered (invented)."}, headers=auth)
        assert sent.status_code == 200
        assert dispatched.named(jobs.SEND_OUTBOUND) == [(sent.json()["outbound_id"],)]
        with session_scope() as session:
            assert session.scalar(select(Draft.status)) == DraftStatus.APPROVED
        assert client.get("/api/usage?by=domain", headers=auth).json()[0]["who"] == "example.org"

    def test_a_browser_session_writes_only_with_the_csrf_header(self, client, staff_app):
        ask(staff_app, question_email(COVERAGE))
        page = sign_in(client).text
        token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        assert client.get("/api/queue").status_code == 200
        assert client.post("/api/consultations/1/claim").status_code == 403
        assert client.post("/api/consultations/1/claim", headers={"X-CSRF-Token": token}).status_code == 200

    def test_another_reviewers_claim_is_taken_over_explicitly(self, client, staff_app):
        ask(staff_app, question_email(COVERAGE))
        with session_scope() as session:
            admin = {"Authorization": f"Bearer {create_token(session, 'cli:test', ADMIN, 'tests')}"}
        auth = bearer()
        assert client.post("/api/consultations/1/claim", headers=auth).status_code == 200
        refused = client.post("/api/consultations/1/claim", headers=admin)
        assert refused.status_code == 409 and "take it over first" in refused.json()["detail"]
        [draft] = client.get("/api/consultations/1", headers=admin).json()["drafts"]
        assert client.put(f"/api/drafts/{draft['id']}", json={"text": "Mine"}, headers=admin).status_code == 409
        taken = client.post("/api/consultations/1/take-over", headers=admin)
        assert taken.json() == {"done": f"taken over from {REVIEWER}", "outbound_id": None, "released": None}
        assert client.put(f"/api/drafts/{draft['id']}", json={"text": "Mine"}, headers=admin).status_code == 200
        assert client.post("/api/consultations/1/take-over", headers=admin).status_code == 409

    def test_openapi_schema_lists_the_operations(self, client):
        schema = client.get("/api/openapi.json", headers=bearer()).json()
        assert {"/api/queue", "/api/consultations/{consultation_id}", "/api/drafts/{draft_id}/send",
                "/api/usage"} <= set(schema["paths"])
