"""Administrators only: the audit log of every staff action."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from consultant.db.session import session_scope
from consultant.staff import audit
from consultant.staff.accounts import Staff
from consultant.web.auth import admin_staff
from consultant.web.render import page

router = APIRouter(include_in_schema=False)


@router.get("/admin/audit")
def audit_page(request: Request, staff: Staff = Depends(admin_staff), actor: str = "", action: str = "") -> Response:
    with session_scope() as session:
        entries = audit.recent(session, limit=500, actor=actor.strip().lower()[:320] or None,
                               action=action.strip()[:48] or None)
    return page(request, "audit.html", staff, entries=entries, actor=actor, action=action)
