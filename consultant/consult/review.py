"""Review actions: the only code that writes review state (assignment, reviewer drafts, notes, the
reviewed reply). Each action checks the row is still where the reviewer saw it, that every id it is given
belongs to the consultation it was asked about, and that nobody else holds the consultation (taking over
another reviewer's claim is its own action), and writes an audit row. The caller commits; a reply's send
job leaves after commit."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultant import jobs
from consultant.codes.show import code_detail, status_text
from consultant.consult import emails
from consultant.consult.drafts.prepare import REVIEWER_MARK
from consultant.consult.reference import format_reference, reply_subject
from consultant.consult.replies import queue_reply
from consultant.db.base import utcnow
from consultant.db.models import (
    Consultation,
    ConsultationNote,
    ConsultationStatus,
    Draft,
    DraftStatus,
    InboundEmail,
    InboundStatus,
    Question,
    StaffUser,
)
from consultant.settings import Settings
from consultant.staff import audit
from consultant.staff.accounts import Staff
from consultant.usage.release import ReleaseError, release_by_staff

REVIEWED_ANSWER = "reviewed_answer"
MAX_TEXT = 100_000


class ReviewError(ValueError):
    """The action cannot be done as asked (the row moved on, the text is not ready); says why."""


def claim(session: Session, staff: Staff, consultation_id: int) -> None:
    """Take an unassigned consultation (one another reviewer holds needs `take_over`)."""
    consultation = _workable_consultation(session, staff, consultation_id)
    consultation.assignee_id, consultation.assigned_at = staff.id, utcnow()
    audit.record(session, staff.email, "claim", f"consultation:{consultation_id}")


def take_over(session: Session, staff: Staff, consultation_id: int) -> str:
    """Take a consultation another reviewer holds, on the record; returns whom it was taken from."""
    consultation = _open_consultation(session, consultation_id)
    holder = consultation.assignee
    if holder is None:
        raise ReviewError(f"consultation {consultation_id} is not claimed: claim it instead")
    if holder.id == staff.id:
        raise ReviewError(f"consultation {consultation_id} is yours already")
    consultation.assignee_id, consultation.assigned_at = staff.id, utcnow()
    audit.record(session, staff.email, "take_over", f"consultation:{consultation_id}", previous=holder.email)
    return holder.email


def assign(session: Session, staff: Staff, consultation_id: int, assignee_email: str) -> None:
    consultation = _workable_consultation(session, staff, consultation_id)
    assignee = session.scalar(select(StaffUser).where(StaffUser.email == assignee_email.strip().lower(),
                                                      StaffUser.active.is_(True)))
    if assignee is None:
        raise ReviewError(f"no active staff account {assignee_email!r}")
    consultation.assignee_id, consultation.assigned_at = assignee.id, utcnow()
    audit.record(session, staff.email, "assign", f"consultation:{consultation_id}", assignee=assignee.email)


def send_back(session: Session, staff: Staff, consultation_id: int) -> None:
    """Back to the shared queue, unassigned; the draft stays as it was last saved."""
    consultation = _workable_consultation(session, staff, consultation_id)
    consultation.assignee_id, consultation.assigned_at = None, None
    audit.record(session, staff.email, "send_back", f"consultation:{consultation_id}")


def save_draft(session: Session, staff: Staff, draft_id: int, text: str, *, consultation_id: int | None) -> None:
    """`consultation_id`: the consultation the request named (None when it named only the draft)."""
    draft = _pending_draft(session, staff, draft_id, consultation_id)
    draft.body_text, draft.origin = _checked_text(text), "reviewer"
    draft.updated_at = utcnow()
    audit.record(session, staff.email, "save_draft", f"draft:{draft_id}", consultation=draft.consultation_id,
                 chars=len(draft.body_text))


def insert_code_facts(session: Session, staff: Staff, draft_id: int, code: str, *,
                      consultation_id: int | None) -> str:
    """Append what the catalog says about `code` (descriptor, lay text, sources) to the draft; returns the block."""
    draft = _pending_draft(session, staff, draft_id, consultation_id)
    block = code_facts_text(session, code)
    draft.body_text = f"{draft.body_text.rstrip()}\n\n{block}\n"
    draft.origin, draft.updated_at = "reviewer", utcnow()
    audit.record(session, staff.email, "insert_code_facts", f"draft:{draft_id}", consultation=draft.consultation_id,
                 code=code.strip().upper()[:16])
    return block


def code_facts_text(session: Session, code: str) -> str:
    detail = code_detail(session, code)
    line = f"{detail.code} ({detail.system_name}): {detail.descriptor or status_text(detail)}"
    sources = "; ".join(sorted({s.version or s.source for s in detail.sources if s.what != "lay description"}))
    lines = [line]
    if detail.lay is not None:
        lines.append(f"  In plain words: {detail.lay.text} (our description, {detail.lay.author})")
    if sources:
        lines.append(f"  Source: {sources}.")
    return "\n".join(lines)


def send(session: Session, settings: Settings, staff: Staff, draft_id: int, text: str, *,
         consultation_id: int | None) -> int:
    """Approve the draft with the reviewer's text and queue the reply, threaded to the question.
    Returns the outbox row's id; the send job leaves after commit."""
    draft = _pending_draft(session, staff, draft_id, consultation_id)
    text = _checked_text(text)
    if REVIEWER_MARK in text:
        raise ReviewError(f"the text still has a {REVIEWER_MARK} ...] mark: replace it with your answer first")
    question = session.get(Question, draft.question_id)
    consultation = question.consultation
    reference = format_reference(settings.reference_prefix, consultation.id)
    subject = reply_subject(settings.reference_prefix, consultation.id,
                            "" if question.phi.get("subject") else question.subject)
    context = emails.reviewed_answer(reference, subject, text, list(draft.sources), settings.service_name)
    reply = queue_reply(
        session, settings, name=REVIEWED_ANSWER, context=context, consultation_id=consultation.id,
        question_id=question.id, to_address=consultation.sender.address, parent=question.inbound.message_id,
        references=list(reversed(question.references)), auto_submitted=False,
    )
    now = utcnow()
    draft.body_text, draft.origin, draft.status = text, "reviewer", DraftStatus.APPROVED
    draft.reviewed_by, draft.reviewed_at, draft.updated_at = staff.email, now, now
    _settle(session, consultation, ConsultationStatus.ANSWERED)
    jobs.defer(session, jobs.SEND_OUTBOUND, reply.outbound_id)
    audit.record(session, staff.email, "send", f"draft:{draft_id}", consultation=consultation.id,
                 outbound=reply.outbound_id)
    return reply.outbound_id


def close_without_reply(session: Session, staff: Staff, consultation_id: int, reason: str) -> None:
    """Reject every pending draft of the consultation and close it; nothing is sent."""
    consultation = _workable_consultation(session, staff, consultation_id)
    reason = " ".join(reason.split())[:500]
    if not reason:
        raise ReviewError("say why it is closed without a reply")
    now = utcnow()
    for draft in _pending_drafts(session, consultation_id):
        draft.status, draft.reviewed_by, draft.reviewed_at, draft.updated_at = DraftStatus.REJECTED, staff.email, now, now
    consultation.status = ConsultationStatus.CLOSED
    consultation.assignee_id, consultation.assigned_at = None, None
    session.add(ConsultationNote(consultation_id=consultation_id, author_id=staff.id,
                                 text=f"Closed without a reply: {reason}", created_at=now))
    audit.record(session, staff.email, "close", f"consultation:{consultation_id}", reason=reason)


def add_note(session: Session, staff: Staff, consultation_id: int, text: str) -> None:
    if session.get(Consultation, consultation_id) is None:
        raise ReviewError(f"no consultation {consultation_id}")
    text = _checked_text(text)
    session.add(ConsultationNote(consultation_id=consultation_id, author_id=staff.id, text=text, created_at=utcnow()))
    audit.record(session, staff.email, "note", f"consultation:{consultation_id}", chars=len(text))


def held_inbound_ids(session: Session, consultation_id: int) -> list[int]:
    """The consultation's messages held for quota or the rate limit."""
    return list(session.scalars(select(InboundEmail.id).join(Question, Question.inbound_id == InboundEmail.id).where(
        Question.consultation_id == consultation_id, InboundEmail.status == InboundStatus.HELD)
        .order_by(InboundEmail.id)))


def release_held(session: Session, staff: Staff, consultation_id: int) -> list[int]:
    """Answer what is held anyway: each message gets a staff grant and goes back to the pipeline (queued after
    commit). Returns the released inbound ids."""
    if session.get(Consultation, consultation_id) is None:
        raise ReviewError(f"no consultation {consultation_id}")
    held = held_inbound_ids(session, consultation_id)
    if not held:
        raise ReviewError(f"consultation {consultation_id} has nothing held")
    try:
        released = release_by_staff(session, inbound_ids=held)
    except ReleaseError as exc:
        raise ReviewError(str(exc)) from None
    audit.record(session, staff.email, "release", f"consultation:{consultation_id}", inbound=released)
    return released


def _settle(session: Session, consultation: Consultation, status: str) -> None:
    """When no draft is left to review, the consultation leaves the queue."""
    session.flush()
    left = session.scalar(select(func.count()).select_from(Draft).where(
        Draft.consultation_id == consultation.id, Draft.status == DraftStatus.PENDING_REVIEW))
    if not left:
        consultation.status = status
        consultation.assignee_id, consultation.assigned_at = None, None


def _open_consultation(session: Session, consultation_id: int) -> Consultation:
    consultation = session.get(Consultation, consultation_id, with_for_update=True)
    if consultation is None:
        raise ReviewError(f"no consultation {consultation_id}")
    if consultation.status != ConsultationStatus.AWAITING_REVIEW:
        raise ReviewError(f"consultation {consultation_id} is {consultation.status.replace('_', ' ')}, not awaiting review")
    return consultation


def _workable_consultation(session: Session, staff: Staff, consultation_id: int) -> Consultation:
    """The consultation, awaiting review and held by nobody or by this reviewer."""
    consultation = _open_consultation(session, consultation_id)
    _check_holder(consultation, staff)
    return consultation


def _check_holder(consultation: Consultation, staff: Staff) -> None:
    holder = consultation.assignee
    if holder is not None and holder.id != staff.id:
        raise ReviewError(f"{holder.email} has claimed consultation {consultation.id}: take it over first")


def _pending_draft(session: Session, staff: Staff, draft_id: int, consultation_id: int | None) -> Draft:
    draft = session.get(Draft, draft_id, with_for_update=True)
    if draft is None or (consultation_id is not None and draft.consultation_id != consultation_id):
        where = "" if consultation_id is None else f" in consultation {consultation_id}"
        raise ReviewError(f"no draft {draft_id}{where}")
    if draft.status != DraftStatus.PENDING_REVIEW:
        raise ReviewError(f"draft {draft_id} is {draft.status.replace('_', ' ')} already")
    _check_holder(session.get(Consultation, draft.consultation_id, with_for_update=True), staff)
    return draft


def _pending_drafts(session: Session, consultation_id: int) -> list[Draft]:
    return list(session.scalars(select(Draft).where(Draft.consultation_id == consultation_id,
                                                    Draft.status == DraftStatus.PENDING_REVIEW)))


def _checked_text(text: str) -> str:
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise ReviewError("the text is empty")
    if len(text) > MAX_TEXT:
        raise ReviewError(f"the text is longer than {MAX_TEXT} characters")
    return text
