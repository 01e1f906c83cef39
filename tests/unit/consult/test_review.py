from __future__ import annotations

import email
from email import policy

import pytest
from sqlalchemy import select

from consultant import jobs
from consultant.consult import review
from consultant.db.models import (
    AuditEntry,
    Consultation,
    ConsultationNote,
    ConsultationStatus,
    Draft,
    DraftStatus,
    OutboundEmail,
    StaffUser,
)
from consultant.db.session import session_scope
from consultant.staff.accounts import Staff
from tests.builders import question_email
from tests.support.web import ADMIN, REVIEWER, add_accounts, ask

COVERAGE = "Does Medicare pay for K76.0 when billed with E11.9?"


@pytest.fixture
def held(app):
    """A coverage question held for review, and the reviewer who works on it."""
    add_accounts()
    ask(app, question_email(COVERAGE, message_id="<held@example.org>", subject="Coverage"))
    with session_scope() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.email == REVIEWER))
        draft = session.scalar(select(Draft))
        return Staff(user.id, user.email, user.role, 0, ""), draft.id, draft.consultation_id


def audit_actions() -> list[str]:
    with session_scope() as session:
        return list(session.scalars(select(AuditEntry.action).where(AuditEntry.actor.is_not(None))
                                    .order_by(AuditEntry.id)))


class TestSend:
    def test_sends_the_reviewers_text_threaded_and_wrapped(self, app, held, dispatched):
        staff, draft_id, consultation_id = held
        with session_scope() as session:
            outbound_id = review.send(session, app, staff, draft_id, "Medicare covers it under NCD 1.2 (invented).",
                                      consultation_id=consultation_id)
        with session_scope() as session:
            row = session.get(OutboundEmail, outbound_id)
            message = email.message_from_bytes(row.raw, policy=policy.default)
            draft = session.get(Draft, draft_id)
            consultation = session.get(Consultation, consultation_id)
            assert (draft.status, draft.reviewed_by, draft.origin) == (DraftStatus.APPROVED, REVIEWER, "reviewer")
            assert consultation.status == ConsultationStatus.ANSWERED
        assert row.kind == "reviewed_answer" and row.rcpt_to == ["coder@example.org"]
        assert message["In-Reply-To"] == "<held@example.org>"
        assert message["Subject"] == "Re: Coverage [CC-000001]"
        assert message["Auto-Submitted"] is None  # a person wrote it
        text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
        assert text.startswith("Hello,\n\nMedicare covers it under NCD 1.2 (invented).")
        assert "Reference CC-000001" in text and "ICD-10-CM 2026" in text and "not a payer determination" in text
        assert dispatched.named(jobs.SEND_OUTBOUND) == [(outbound_id,)]
        assert audit_actions() == ["send"]

    def test_refuses_while_a_reviewer_mark_is_left(self, app, held, dispatched):
        staff, draft_id, _ = held
        with session_scope() as session, pytest.raises(review.ReviewError, match="REVIEWER"):
            review.send(session, app, staff, draft_id, "K76.0 ...\n[REVIEWER: answer the coverage question.]",
                        consultation_id=None)
        with session_scope() as session:
            assert session.scalar(select(OutboundEmail.kind).where(OutboundEmail.kind == "reviewed_answer")) is None
        assert dispatched.named(jobs.SEND_OUTBOUND) == []

    def test_a_draft_is_sent_once(self, app, held):
        staff, draft_id, _ = held
        with session_scope() as session:
            review.send(session, app, staff, draft_id, "Answer one.", consultation_id=None)
        with session_scope() as session, pytest.raises(review.ReviewError, match="approved already"):
            review.send(session, app, staff, draft_id, "Answer two.", consultation_id=None)


def as_staff(email: str) -> Staff:
    with session_scope() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.email == email))
        return Staff(user.id, user.email, user.role, 0, "")


class TestAssignment:
    def test_claim_assign_and_send_back(self, held):
        staff, _, consultation_id = held
        admin = as_staff(ADMIN)
        with session_scope() as session:
            review.claim(session, staff, consultation_id)
        with session_scope() as session:
            assert session.get(Consultation, consultation_id).assignee.email == REVIEWER
            review.assign(session, staff, consultation_id, ADMIN)
        with session_scope() as session:
            assert session.get(Consultation, consultation_id).assignee.email == ADMIN
            review.send_back(session, admin, consultation_id)
        with session_scope() as session:
            assert session.get(Consultation, consultation_id).assignee_id is None
        assert audit_actions() == ["claim", "assign", "send_back"]

    def test_what_another_reviewer_holds_is_refused(self, app, held):
        staff, draft_id, consultation_id = held
        other = as_staff(ADMIN)
        with session_scope() as session:
            review.claim(session, staff, consultation_id)
        refusals = {
            "claim": lambda s: review.claim(s, other, consultation_id),
            "assign": lambda s: review.assign(s, other, consultation_id, ADMIN),
            "send_back": lambda s: review.send_back(s, other, consultation_id),
            "close": lambda s: review.close_without_reply(s, other, consultation_id, "not mine"),
            "save_draft": lambda s: review.save_draft(s, other, draft_id, "Mine now", consultation_id=None),
            "insert": lambda s: review.insert_code_facts(s, other, draft_id, "E11.9", consultation_id=None),
            "send": lambda s: review.send(s, app, other, draft_id, "Mine now", consultation_id=None),
        }
        for name, action in refusals.items():
            with session_scope() as session, pytest.raises(review.ReviewError, match="has claimed.*take it over"):
                action(session)
        with session_scope() as session:
            assert session.get(Consultation, consultation_id).assignee.email == REVIEWER
            assert session.get(Draft, draft_id).status == DraftStatus.PENDING_REVIEW
        assert audit_actions() == ["claim"]

    def test_taking_over_is_explicit_and_audited(self, held):
        staff, draft_id, consultation_id = held
        other = as_staff(ADMIN)
        with session_scope() as session, pytest.raises(review.ReviewError, match="not claimed"):
            review.take_over(session, other, consultation_id)
        with session_scope() as session:
            review.claim(session, staff, consultation_id)
        with session_scope() as session, pytest.raises(review.ReviewError, match="yours already"):
            review.take_over(session, staff, consultation_id)
        with session_scope() as session:
            assert review.take_over(session, other, consultation_id) == REVIEWER
        with session_scope() as session:
            review.save_draft(session, other, draft_id, "The admin's text", consultation_id=consultation_id)
        with session_scope() as session:
            assert session.get(Consultation, consultation_id).assignee.email == ADMIN
            entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "take_over"))
        assert (entry.actor, entry.target, entry.detail) == (ADMIN, f"consultation:{consultation_id}",
                                                             {"previous": REVIEWER})
        with session_scope() as session, pytest.raises(review.ReviewError, match=f"{ADMIN} has claimed"):
            review.save_draft(session, staff, draft_id, "Back to me", consultation_id=consultation_id)


class TestDraftBelongsToTheConsultation:
    def test_a_draft_of_another_consultation_is_refused(self, app, held, dispatched):
        staff, draft_id, consultation_id = held
        ask(app, question_email(COVERAGE, message_id="<other@example.org>", subject="Other", sender="b@example.org"),
            sender="b@example.org")
        with session_scope() as session:
            other_id = session.scalar(select(Consultation.id).where(Consultation.id != consultation_id))
        for action in (lambda s: review.save_draft(s, staff, draft_id, "Changed", consultation_id=other_id),
                       lambda s: review.insert_code_facts(s, staff, draft_id, "E11.9", consultation_id=other_id),
                       lambda s: review.send(s, app, staff, draft_id, "Changed", consultation_id=other_id)):
            with session_scope() as session, pytest.raises(review.ReviewError,
                                                           match=f"no draft {draft_id} in consultation {other_id}"):
                action(session)
        with session_scope() as session:
            draft = session.get(Draft, draft_id)
            assert (draft.status, draft.origin) == (DraftStatus.PENDING_REVIEW, "auto")
        assert dispatched.named(jobs.SEND_OUTBOUND) == []

    def test_assign_to_unknown_staff_is_refused(self, held):
        staff, _, consultation_id = held
        with session_scope() as session, pytest.raises(review.ReviewError, match="no active staff"):
            review.assign(session, staff, consultation_id, "nobody@example.org")


class TestCloseAndNotes:
    def test_close_without_reply_rejects_the_draft_and_keeps_the_reason(self, held, dispatched):
        staff, draft_id, consultation_id = held
        with session_scope() as session:
            review.close_without_reply(session, staff, consultation_id, "sender withdrew the question")
        with session_scope() as session:
            assert session.get(Draft, draft_id).status == DraftStatus.REJECTED
            assert session.get(Consultation, consultation_id).status == ConsultationStatus.CLOSED
            assert session.scalar(select(ConsultationNote.text)).endswith("sender withdrew the question")
        assert dispatched.named(jobs.SEND_OUTBOUND) == []
        with session_scope() as session, pytest.raises(review.ReviewError, match="closed"):
            review.claim(session, staff, consultation_id)

    def test_note_and_save_draft(self, held):
        staff, draft_id, consultation_id = held
        with session_scope() as session:
            review.add_note(session, staff, consultation_id, "Asked the payer team.")
            review.save_draft(session, staff, draft_id, "Work in progress", consultation_id=consultation_id)
        with session_scope() as session:
            assert session.get(Draft, draft_id).body_text == "Work in progress"
        assert audit_actions() == ["note", "save_draft"]


class TestInsertCodeFacts:
    def test_appends_descriptor_and_source(self, held):
        staff, draft_id, _ = held
        with session_scope() as session:
            review.insert_code_facts(session, staff, draft_id, "e11.9", consultation_id=None)
        with session_scope() as session:
            text = session.get(Draft, draft_id).body_text
        assert text.rstrip().endswith(
            "E11.9 (ICD-10-CM): Type 2 diabetes mellitus without complications\n"
            "  In plain words: Type 2 diabetes with no complication documented. (our description, "
            "consultant staff (starter set))\n  Source: ICD-10-CM 2026.")

    def test_a_code_not_in_the_catalog_is_stated_with_the_release_it_was_looked_up_in(self, held):
        staff, draft_id, _ = held
        with session_scope() as session:
            block = review.insert_code_facts(session, staff, draft_id, "99214", consultation_id=None)
        assert block.startswith("99214 (CPT): CPT code shape; no descriptor without the licensee's CPT file")
        with session_scope() as session:
            block = review.code_facts_text(session, "K76.99")
        # invalid, or not judged when today is past the release's dates: either way in words, with the release
        assert block.startswith("K76.99 (ICD-10-CM): not ")
        assert "ICD-10-CM 2026" in block and "2025-10-01 to 2026-09-30" in block
        assert "release-does-not-cover-date" not in block and "(invalid)" not in block
