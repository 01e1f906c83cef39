"""One consultation: the thread, the parsed question with PHI highlighted, facts, reasons, the draft
editor, and the review actions (each a form POST that goes through consultant.consult.review)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from consultant.consult import review
from consultant.consult.review_queue import consultation_view, reviewers
from consultant.db.models import Question
from consultant.db.session import session_scope
from consultant.settings import get_settings
from consultant.staff.accounts import Staff
from consultant.web import safe_html
from consultant.web.params import RowId, row_id
from consultant.web.auth import checked_form, current_staff
from consultant.web.render import page

router = APIRouter(include_in_schema=False)


@router.get("/consultations/{consultation_id}")
def consultation_page(request: Request, consultation_id: RowId, staff: Staff = Depends(current_staff),
                      html: int = 0, error: str = "", done: str = "") -> Response:
    settings = get_settings()
    with session_scope() as session:
        view = consultation_view(session, settings, consultation_id)
        if view is None:
            raise HTTPException(404, "no such consultation")
        messages = {}
        for entry in view.thread:
            if entry.question is not None:
                raw = entry.question.inbound.raw
                messages[entry.question.id] = {
                    "pieces": safe_html.highlighted(entry.question.text, entry.question.phi.get("text", [])),
                    "subject_pieces": safe_html.highlighted(entry.question.subject,
                                                            entry.question.phi.get("subject", [])),
                    "original": safe_html.original_text(raw),
                    "has_html": safe_html.has_html(raw),
                    "from": entry.question.inbound.mail_from,
                }
        return page(request, "consultation.html", staff, view=view, messages=messages, show_html=bool(html),
                    error=error[:300], done=done[:100], staff_emails=reviewers(session),
                    held=review.held_inbound_ids(session, consultation_id),
                    service_level=settings.review_response_hours)


@router.get("/consultations/{consultation_id}/message-html/{question_id}")
def message_html(consultation_id: RowId, question_id: RowId, staff: Staff = Depends(current_staff)) -> Response:
    with session_scope() as session:
        question = session.get(Question, question_id)
        if question is None or question.consultation_id != consultation_id:
            raise HTTPException(404, "no such message")
        return HTMLResponse(safe_html.sanitised_html(question.inbound.raw))


def _act(consultation_id: int, action: Callable[[Session], str | None]) -> Response:
    """Run one review action in its own transaction; back to the page with its outcome or the reason it failed."""
    try:
        with session_scope() as session:
            done = action(session) or "saved"
    except review.ReviewError as exc:
        return RedirectResponse(f"/consultations/{consultation_id}?error={quote(str(exc))}#actions", status_code=303)
    return RedirectResponse(f"/consultations/{consultation_id}?done={quote(done)}", status_code=303)


def _draft_id(form: FormData) -> int:
    return row_id(form.get("draft_id", ""), "draft_id")


@router.post("/consultations/{consultation_id}/claim")
def claim(consultation_id: RowId, form: FormData = Depends(checked_form), staff: Staff = Depends(current_staff)):
    return _act(consultation_id, lambda s: review.claim(s, staff, consultation_id) or "claimed")


@router.post("/consultations/{consultation_id}/take-over")
def take_over(consultation_id: RowId, form: FormData = Depends(checked_form), staff: Staff = Depends(current_staff)):
    return _act(consultation_id, lambda s: f"taken over from {review.take_over(s, staff, consultation_id)}")


@router.post("/consultations/{consultation_id}/assign")
def assign(consultation_id: RowId, form: FormData = Depends(checked_form), staff: Staff = Depends(current_staff)):
    assignee = str(form.get("assignee", ""))
    return _act(consultation_id, lambda s: review.assign(s, staff, consultation_id, assignee) or "assigned")


@router.post("/consultations/{consultation_id}/send-back")
def send_back(consultation_id: RowId, form: FormData = Depends(checked_form), staff: Staff = Depends(current_staff)):
    return _act(consultation_id, lambda s: review.send_back(s, staff, consultation_id) or "sent back to the queue")


@router.post("/consultations/{consultation_id}/close")
def close(consultation_id: RowId, form: FormData = Depends(checked_form), staff: Staff = Depends(current_staff)):
    reason = str(form.get("reason", ""))
    return _act(consultation_id,
                lambda s: review.close_without_reply(s, staff, consultation_id, reason) or "closed without a reply")


@router.post("/consultations/{consultation_id}/release")
def release(consultation_id: RowId, form: FormData = Depends(checked_form), staff: Staff = Depends(current_staff)):
    return _act(consultation_id,
                lambda s: f"released {len(review.release_held(s, staff, consultation_id))} held message(s)")


@router.post("/consultations/{consultation_id}/note")
def note(consultation_id: RowId, form: FormData = Depends(checked_form), staff: Staff = Depends(current_staff)):
    text = str(form.get("text", ""))
    return _act(consultation_id, lambda s: review.add_note(s, staff, consultation_id, text) or "note added")


@router.post("/consultations/{consultation_id}/draft")
def draft_action(consultation_id: RowId, form: FormData = Depends(checked_form),
                 staff: Staff = Depends(current_staff)):
    """The draft editor's buttons: save, send, or insert a code's facts (saving the text first). The draft must
    be one of this consultation's."""
    draft_id, text, action = _draft_id(form), str(form.get("text", "")), str(form.get("action", "save"))
    settings = get_settings()
    if action == "send":
        return _act(consultation_id, lambda s: review.send(s, settings, staff, draft_id, text,
                                                                consultation_id=consultation_id) and "sent")
    if action == "insert":
        code = str(form.get("code", ""))[:20]

        def save_and_insert(s: Session) -> str:
            review.save_draft(s, staff, draft_id, text, consultation_id=consultation_id)
            review.insert_code_facts(s, staff, draft_id, code, consultation_id=consultation_id)
            return f"facts for {code.strip().upper()} inserted"

        return _act(consultation_id, save_and_insert)
    return _act(consultation_id, lambda s: review.save_draft(s, staff, draft_id, text, consultation_id=consultation_id)
                or "draft saved")
