"""The knowledge base: our plain-language description per code (who wrote it and when)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import FormData

from consultant.codes.lay import SYSTEMS, set_lay_description
from consultant.codes.models import LayDescription
from consultant.db.session import session_scope
from consultant.staff import audit
from consultant.staff.accounts import Staff
from consultant.web.auth import checked_form, current_staff
from consultant.web.render import page

router = APIRouter(include_in_schema=False)


@router.get("/knowledge")
def knowledge_list(request: Request, staff: Staff = Depends(current_staff), q: str = "", error: str = "",
                   done: str = "") -> Response:
    query = select(LayDescription).order_by(LayDescription.system, LayDescription.code).limit(500)
    if q.strip():
        query = query.where(LayDescription.code.like(f"{q.strip().upper()[:16]}%"))
    with session_scope() as session:
        rows = list(session.scalars(query))
    return page(request, "knowledge.html", staff, rows=rows, q=q, systems=sorted(SYSTEMS), error=error[:300],
                done=done[:100])


@router.get("/knowledge/{system}/{code}")
def knowledge_edit(request: Request, system: str, code: str, staff: Staff = Depends(current_staff)) -> Response:
    with session_scope() as session:
        row = session.scalar(select(LayDescription).where(LayDescription.system == system[:16],
                                                          LayDescription.code == code[:16]))
    return page(request, "knowledge_edit.html", staff, system=system[:16], code=code[:16], row=row,
                systems=sorted(SYSTEMS))


@router.post("/knowledge")
def knowledge_save(form: FormData = Depends(checked_form), staff: Staff = Depends(current_staff)) -> Response:
    system, code, text = (str(form.get(k, "")) for k in ("system", "code", "text"))
    try:
        with session_scope() as session:
            row = set_lay_description(session, system, code[:16], text[:4000], staff.email)
            audit.record(session, staff.email, "lay_description_saved", f"code:{row.system}:{row.code}",
                         chars=len(row.text))
            saved = f"{row.code} saved"
    except ValueError as exc:
        return RedirectResponse(f"/knowledge?error={quote(str(exc))}", status_code=303)
    return RedirectResponse(f"/knowledge?done={quote(saved)}", status_code=303)
