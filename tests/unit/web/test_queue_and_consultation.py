from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from consultant import jobs
from consultant.db.base import utcnow
from consultant.db.models import AuditEntry, Draft, DraftStatus, InboundEmail, OutboundEmail, Question
from consultant.db.session import session_scope
from consultant.shipped import shipped
from consultant.usage.ledger import sender_for
from consultant.usage.plans import load_plans
from consultant.usage.senders import set_plan
from tests.builders import question_email
from tests.support.web import ADMIN, ask, csrf_of, sign_in

COVERAGE = "Does Medicare pay for K76.0 when billed with E11.9?"
PHI = "Patient John Smith, DOB 03/04/1950, MRN 12345678: is K76.0 right?"


def backdate(question_id: int, hours: float) -> None:
    with session_scope() as session:
        session.execute(update(Question).where(Question.id == question_id)
                        .values(created_at=utcnow() - timedelta(hours=hours)))


class TestQueuePage:
    def test_lists_held_questions_oldest_first_with_overdue_marked(self, client, staff_app):
        ask(staff_app, question_email(COVERAGE, sender="late@example.org"), sender="late@example.org")
        ask(staff_app, question_email(PHI, sender="new@example.org"), sender="new@example.org")
        ask(staff_app, question_email("What is K76.0?"))  # answered at once: not in the queue
        backdate(1, 30)
        page = sign_in(client).text
        rows = re.findall(r'<tr class="(overdue|)" data-consultation="(\d+)">', page)
        assert rows == [("overdue", "1"), ("", "2")]
        assert "coverage question: a person must answer" in page
        assert client.get("/?overdue=true").text.count("data-consultation=") == 1
        only_new = client.get("/?q=new@example").text
        assert 'data-consultation="2"' in only_new and 'data-consultation="1"' not in only_new
        by_code = client.get("/?q=e11.9").text
        assert 'data-consultation="1"' in by_code and 'data-consultation="2"' not in by_code
        assert client.get("/?intent=case_review").text.count("data-consultation=") == 1

    def test_claim_then_mine(self, client, staff_app):
        ask(staff_app, question_email(COVERAGE))
        page = sign_in(client).text
        assert client.get("/?mine=true").text.count("data-consultation=") == 0
        client.post("/consultations/1/claim", data={"csrf": csrf_of(page)})
        assert client.get("/?mine=true").text.count("data-consultation=") == 1


class TestConsultationPage:
    def test_shows_phi_highlighted_facts_reasons_and_draft(self, client, staff_app):
        ask(staff_app, question_email(PHI))
        sign_in(client)
        page = client.get("/consultations/1").text
        assert '<mark class="phi" title="possible name">John Smith</mark>' in page
        assert '<mark class="phi" title="possible mrn">12345678</mark>' in page
        assert "Possible patient identifiers" in page
        assert "Fatty (change of) liver, not elsewhere classified" in page and "ICD-10-CM 2026" in page
        assert "case review question: a person must answer" in page
        assert "[REVIEWER: answer from the documentation" in page

    def test_send_from_the_editor(self, client, staff_app):
        ask(staff_app, question_email(COVERAGE))
        sign_in(client)
        page = client.get("/consultations/1").text
        with session_scope() as session:
            draft_id = session.scalar(select(Draft.id))
        refused = client.post("/consultations/1/draft", data={
            "csrf": csrf_of(page), "draft_id": draft_id, "action": "send", "text": "[REVIEWER: still here]"})
        assert "still has a [REVIEWER:" in refused.text
        sent = client.post("/consultations/1/draft", data={
            "csrf": csrf_of(page), "draft_id": draft_id, "action": "send", "text": "Covered (invented answer)."})
        assert "sent" in sent.text
        with session_scope() as session:
            assert session.get(Draft, draft_id).status == DraftStatus.APPROVED
            assert session.scalar(select(OutboundEmail.kind).order_by(OutboundEmail.id.desc())) == "reviewed_answer"

    def test_insert_code_facts_into_the_draft(self, client, staff_app):
        ask(staff_app, question_email(COVERAGE))
        page = sign_in(client, ADMIN).text
        page = client.get("/consultations/1").text
        with session_scope() as session:
            draft_id = session.scalar(select(Draft.id))
        after = client.post("/consultations/1/draft", data={
            "csrf": csrf_of(page), "draft_id": draft_id, "action": "insert", "code": "E11.9", "text": "Start."})
        assert "facts for E11.9 inserted" in after.text
        assert "Start.\n\nE11.9 (ICD-10-CM): Type 2 diabetes mellitus without complications" in after.text


class TestHeld:
    def held_for_quota_and_rate(self, configure, staff_app):
        """Consultation 2 is held for quota (a guest's second), 5 for the rate limit (a third in the hour)."""
        settings = configure(database_url=staff_app.database_url, sender_messages_per_hour="2",
                             plans=str(shipped("config") / "plans.toml"))
        ask(settings, question_email("What is K76.0?"))
        ask(settings, question_email("What is E11.9?", subject="Second"))
        with session_scope() as session:
            sender_for(session, "busy@example.org")
            set_plan(session, "busy@example.org", "registered", load_plans(settings.plans))
        for n, code in enumerate(("K76.0", "E11.9", "I10")):
            ask(settings, question_email(f"What is {code}?", sender="busy@example.org", subject=f"Busy {n}"),
                sender="busy@example.org")
        return settings

    def test_the_held_filter_shows_why(self, client, configure, staff_app):
        self.held_for_quota_and_rate(configure, staff_app)
        page = sign_in(client).text
        assert "data-consultation=" not in page
        held = client.get("/?status=held").text
        assert re.findall(r'data-consultation="(\d+)"', held) == ["2", "5"]
        assert "held for quota: plan guest, 1 of 1 used" in held
        assert "held for the rate limit: 2 messages in the last hour (limit 2)" in held
        assert [i["consultation_id"] for i in client.get("/api/queue?status=held").json()] == [2, 5]

    def test_release_from_the_page_grants_audits_and_queues_after_commit(self, client, configure, staff_app,
                                                                         dispatched):
        self.held_for_quota_and_rate(configure, staff_app)
        sign_in(client)
        page = client.get("/consultations/2").text
        assert "Release 1 held message(s)" in page
        assert client.post("/consultations/2/release", follow_redirects=False).status_code == 403
        done = client.post("/consultations/2/release", data={"csrf": csrf_of(page)})
        assert "released 1 held message(s)" in done.text and "Release 1 held" not in done.text
        with session_scope() as session:
            inbound_id = session.scalar(select(Question.inbound_id).where(Question.consultation_id == 2))
            assert session.get(InboundEmail, inbound_id).status == "received"
            audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "release")).one()
            assert (audit.target, audit.detail) == ("consultation:2", {"inbound": [inbound_id]})
        assert (inbound_id,) in dispatched.named(jobs.PROCESS_INBOUND)
        again = client.post("/consultations/2/release", data={"csrf": csrf_of(page)})
        assert "consultation 2 has nothing held" in again.text

    def test_release_through_the_api(self, client, configure, staff_app, dispatched):
        self.held_for_quota_and_rate(configure, staff_app)
        page = sign_in(client).text
        headers = {"X-CSRF-Token": csrf_of(page)}
        assert client.post("/api/consultations/5/release").status_code == 403
        released = client.post("/api/consultations/5/release", headers=headers)
        assert released.status_code == 200 and released.json()["done"] == "released"
        [inbound_id] = released.json()["released"]
        assert (inbound_id,) in dispatched.named(jobs.PROCESS_INBOUND)
        assert client.post("/api/consultations/5/release", headers=headers).status_code == 409
        assert client.post("/api/consultations/1/release", headers=headers).status_code == 409
        assert client.post("/api/consultations/99/release", headers=headers).status_code == 404


class TestOwnership:
    def test_a_draft_posted_under_another_consultation_changes_nothing(self, client, staff_app):
        ask(staff_app, question_email(COVERAGE, message_id="<one@example.org>"))
        ask(staff_app, question_email(COVERAGE, sender="b@example.org", message_id="<two@example.org>",
                                      subject="Two"), sender="b@example.org")
        page = sign_in(client).text
        with session_scope() as session:
            first = session.scalar(select(Draft).where(Draft.consultation_id == 1))
        for action in ("save", "send", "insert"):
            response = client.post("/consultations/2/draft", data={
                "csrf": csrf_of(page), "draft_id": first.id, "action": action, "code": "E11.9", "text": "Hijacked"})
            assert f"no draft {first.id} in consultation 2" in response.text
        response = client.post("/consultations/55/draft", data={
            "csrf": csrf_of(page), "draft_id": first.id, "action": "save", "text": "Hijacked"}, follow_redirects=False)
        assert f"no%20draft%20{first.id}%20in%20consultation%2055" in response.headers["location"]
        with session_scope() as session:
            draft = session.get(Draft, first.id)
            assert (draft.status, draft.origin, draft.body_text) == (DraftStatus.PENDING_REVIEW, "auto",
                                                                     first.body_text)
            assert session.scalar(select(AuditEntry.id).where(AuditEntry.action.in_(["save_draft", "send"]))) is None

    def test_another_reviewers_claim_needs_an_explicit_take_over(self, client, staff_app):
        from fastapi.testclient import TestClient

        from consultant.web.app import create_app

        ask(staff_app, question_email(COVERAGE))
        with TestClient(create_app(), base_url="https://testserver") as reviewer:
            page = sign_in(reviewer).text
            reviewer.post("/consultations/1/claim", data={"csrf": csrf_of(page)})
        page = sign_in(client, ADMIN).text
        shown = client.get("/consultations/1").text
        assert "Take over from reviewer@consultant.localhost" in shown and ">Claim</button>" not in shown
        refused = client.post("/consultations/1/claim", data={"csrf": csrf_of(page)})
        assert "reviewer@consultant.localhost has claimed consultation 1: take it over first" in refused.text
        with session_scope() as session:
            draft_id = session.scalar(select(Draft.id))
        refused = client.post("/consultations/1/draft", data={
            "csrf": csrf_of(page), "draft_id": draft_id, "action": "save", "text": "Mine"})
        assert "take it over first" in refused.text
        taken = client.post("/consultations/1/take-over", data={"csrf": csrf_of(page)})
        assert "taken over from reviewer@consultant.localhost" in taken.text
        assert "assignee: admin@consultant.localhost" in taken.text
        saved = client.post("/consultations/1/draft", data={
            "csrf": csrf_of(page), "draft_id": draft_id, "action": "save", "text": "Mine"})
        assert "draft saved" in saved.text
        with session_scope() as session:
            entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "take_over"))
        assert (entry.actor, entry.detail) == (ADMIN, {"previous": "reviewer@consultant.localhost"})
