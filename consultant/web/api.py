"""The JSON API: the queue, a consultation, the review actions and usage, behind the same sign-in
(a browser session with the X-CSRF-Token header for writes, or `Authorization: Bearer TOKEN` from
`consultant staff token`, which expires). Its OpenAPI schema is at /api/openapi.json."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from consultant.consult import review
from consultant.consult.review_queue import QueueFilter, consultation_view, queue

from consultant.db.session import session_scope
from consultant.settings import get_settings
from consultant.staff.accounts import Staff
from consultant.usage.admission import plans_of
from consultant.usage.monthly import usage_report
from consultant.web.params import RowId
from consultant.web.auth import api_staff, current_staff

router = APIRouter(prefix="/api", tags=["staff"])
Status = Literal["awaiting_review", "held", "answered", "closed", "open", "all"]
Intent = Literal["", "lookup", "validity", "pair", "modifier", "units", "guideline", "case_review", "coverage", "other"]
ERRORS = {401: {"description": "not signed in"}, 403: {"description": "not allowed"},
          404: {"description": "no such row"}, 409: {"description": "the row moved on; the detail says why"}}


class QueueItemOut(BaseModel):
    consultation_id: int
    reference: str
    sender: str
    subject: str
    status: str
    waiting_since: datetime
    age_hours: float
    overdue: bool
    intents: list[str]
    codes: list[str]
    reasons: list[str]
    assignee: str | None


class QuestionOut(BaseModel):
    id: int
    created_at: datetime
    subject: str
    text: str
    route: str | None
    route_reasons: list[str]
    codes: list[dict]
    asks: list[dict]
    phi: dict
    facts: dict


class DraftOut(BaseModel):
    id: int
    question_id: int
    status: str
    origin: str
    body_text: str
    sources: list[str]
    grounding_problems: list[str]
    reviewed_by: str | None


class ReplyOut(BaseModel):
    id: int
    kind: str
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None


class NoteOut(BaseModel):
    author: str
    text: str
    created_at: datetime


class ConsultationOut(BaseModel):
    item: QueueItemOut
    questions: list[QuestionOut]
    drafts: list[DraftOut]
    replies: list[ReplyOut]
    notes: list[NoteOut]


class UsageOut(BaseModel):
    who: str
    month: str
    questions: int
    auto_answered: int
    reviewed: int
    median_answer_seconds: float | None
    p90_answer_seconds: float | None
    plan: str | None
    remaining: int | None


class TextIn(BaseModel):
    text: str = Field(min_length=1, max_length=review.MAX_TEXT)


class AssignIn(BaseModel):
    assignee: str = Field(min_length=3, max_length=320)


class CloseIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class Done(BaseModel):
    done: str
    outbound_id: int | None = None
    released: list[int] | None = None


@router.get("/openapi.json", include_in_schema=False)
def openapi_schema(request: Request, staff: Staff = Depends(current_staff)) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/queue", response_model=list[QueueItemOut], responses=ERRORS)
def api_queue(staff: Staff = Depends(current_staff), status: Status = "awaiting_review", intent: Intent = "",
              overdue: bool = False, mine: bool = False,
              q: Annotated[str, Query(max_length=200)] = "") -> list[dict]:
    with session_scope() as session:
        items = queue(session, get_settings(), QueueFilter(status, intent, overdue, mine, q), staff.id)
    return [i.as_dict() for i in items]


@router.get("/consultations/{consultation_id}", response_model=ConsultationOut, responses=ERRORS)
def api_consultation(consultation_id: RowId, staff: Staff = Depends(current_staff)) -> dict:
    with session_scope() as session:
        view = consultation_view(session, get_settings(), consultation_id)
        if view is None:
            raise HTTPException(404, "no such consultation")
        questions = [e.question for e in view.thread if e.question is not None]
        return {
            "item": view.item.as_dict(),
            "questions": [{f: getattr(q, f) for f in QuestionOut.model_fields} for q in questions],
            "drafts": [{f: getattr(e.draft, f) for f in DraftOut.model_fields} for e in view.thread if e.draft],
            "replies": [{f: getattr(e.outbound, f) for f in ReplyOut.model_fields} for e in view.thread
                        if e.outbound is not None],
            "notes": [{"author": n.author.email, "text": n.text, "created_at": n.created_at} for n in view.notes],
        }


def _act(action: Callable[[Session], Done]) -> Done:
    try:
        with session_scope() as session:
            return action(session)
    except review.ReviewError as exc:
        status = 404 if str(exc).startswith("no ") else 409
        raise HTTPException(status, str(exc)) from None


@router.post("/consultations/{consultation_id}/claim", response_model=Done, responses=ERRORS)
def api_claim(consultation_id: RowId, staff: Staff = Depends(api_staff)) -> Done:
    return _act(lambda s: review.claim(s, staff, consultation_id) or Done(done="claimed"))


@router.post("/consultations/{consultation_id}/take-over", response_model=Done, responses=ERRORS)
def api_take_over(consultation_id: RowId, staff: Staff = Depends(api_staff)) -> Done:
    """Take a consultation another reviewer has claimed (recorded in the audit log with whom it was taken from)."""
    return _act(lambda s: Done(done=f"taken over from {review.take_over(s, staff, consultation_id)}"))


@router.post("/consultations/{consultation_id}/assign", response_model=Done, responses=ERRORS)
def api_assign(consultation_id: RowId, body: AssignIn, staff: Staff = Depends(api_staff)) -> Done:
    return _act(lambda s: review.assign(s, staff, consultation_id, body.assignee) or Done(done="assigned"))


@router.post("/consultations/{consultation_id}/send-back", response_model=Done, responses=ERRORS)
def api_send_back(consultation_id: RowId, staff: Staff = Depends(api_staff)) -> Done:
    return _act(lambda s: review.send_back(s, staff, consultation_id) or Done(done="sent back"))


@router.post("/consultations/{consultation_id}/close", response_model=Done, responses=ERRORS)
def api_close(consultation_id: RowId, body: CloseIn, staff: Staff = Depends(api_staff)) -> Done:
    return _act(lambda s: review.close_without_reply(s, staff, consultation_id, body.reason) or Done(done="closed"))


@router.post("/consultations/{consultation_id}/notes", response_model=Done, responses=ERRORS)
def api_note(consultation_id: RowId, body: TextIn, staff: Staff = Depends(api_staff)) -> Done:
    return _act(lambda s: review.add_note(s, staff, consultation_id, body.text) or Done(done="note added"))


@router.post("/consultations/{consultation_id}/release", response_model=Done, responses=ERRORS)
def api_release(consultation_id: RowId, staff: Staff = Depends(api_staff)) -> Done:
    return _act(lambda s: Done(done="released", released=review.release_held(s, staff, consultation_id)))


@router.put("/drafts/{draft_id}", response_model=Done, responses=ERRORS)
def api_save_draft(draft_id: RowId, body: TextIn, staff: Staff = Depends(api_staff)) -> Done:
    return _act(lambda s: review.save_draft(s, staff, draft_id, body.text, consultation_id=None)
                or Done(done="draft saved"))


@router.post("/drafts/{draft_id}/send", response_model=Done, responses=ERRORS)
def api_send(draft_id: RowId, body: TextIn, staff: Staff = Depends(api_staff)) -> Done:
    settings = get_settings()
    return _act(lambda s: Done(done="sent", outbound_id=review.send(s, settings, staff, draft_id, body.text,
                                                                              consultation_id=None)))


@router.get("/usage", response_model=list[UsageOut], responses=ERRORS)
def api_usage(staff: Staff = Depends(current_staff), by: Literal["sender", "organisation", "domain"] = "sender") -> list[dict]:
    with session_scope() as session:
        return [r.as_dict() for r in usage_report(session, by, plans_of(get_settings()))]



