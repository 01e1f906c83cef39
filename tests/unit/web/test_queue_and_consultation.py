from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from consultant.db.base import utcnow
from consultant.db.models import Draft, DraftStatus, OutboundEmail, Question
from consultant.db.session import session_scope
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
