"""Code lookup: search over the whole catalog, and a reference page per code; a code's facts go into a draft."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import FormData

from consultant.codes.search import search
from consultant.codes.show import KIND_LABELS, Status, code_detail, status_text
from consultant.consult import review
from consultant.db.models import Draft, DraftStatus
from consultant.db.session import session_scope
from consultant.staff.accounts import Staff
from consultant.web.params import row_id
from consultant.web.auth import checked_form, current_staff
from consultant.web.render import page

router = APIRouter(include_in_schema=False)
SYSTEMS = ("icd10cm", "cpt", "hcpcs", "pcs", "modifier")


@router.get("/codes")
def codes_search(request: Request, staff: Staff = Depends(current_staff), q: str = "", system: str = "") -> Response:
    system = system if system in SYSTEMS else ""
    q = q.strip()[:200]
    with session_scope() as session:
        hits = search(session, q, system=system or None, limit=50) if q else []
    return page(request, "codes.html", staff, q=q, system=system, systems=SYSTEMS, hits=hits)


@router.get("/codes/{code}")
def code_page(request: Request, code: str, staff: Staff = Depends(current_staff), system: str = "",
              on: date | None = None) -> Response:
    system = system if system in SYSTEMS else ""
    with session_scope() as session:
        detail = code_detail(session, code[:20], system=system or None, on=on)
        drafts = session.execute(select(Draft.id, Draft.consultation_id).where(
            Draft.status == DraftStatus.PENDING_REVIEW).order_by(Draft.id)).all()
    return page(request, "code.html", staff, d=detail, labels=KIND_LABELS, status_text=status_text(detail),
                licensed_missing=detail.status == Status.LICENSED_TEXT_MISSING,
                invalid=detail.status == Status.INVALID, drafts=drafts)


@router.post("/codes/{code}/insert")
def insert_into_draft(code: str, form: FormData = Depends(checked_form), staff: Staff = Depends(current_staff)):
    draft_id = row_id(form.get("draft_id", ""), "draft_id")
    try:
        with session_scope() as session:
            review.insert_code_facts(session, staff, draft_id, code[:20], consultation_id=None)
            consultation_id = session.get(Draft, draft_id).consultation_id
    except review.ReviewError as exc:
        return RedirectResponse(f"/codes/{quote(code[:20])}?error={quote(str(exc))}", status_code=303)
    return RedirectResponse(f"/consultations/{consultation_id}?done={quote(f'facts for {code[:20]} inserted')}",
                            status_code=303)
