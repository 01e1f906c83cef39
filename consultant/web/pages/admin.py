"""Administrators only: the audit log, staff accounts (disable, enable, reset a password, change a role) and
API tokens (create, list, revoke). Every change goes through consultant.staff and is audited."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from consultant.db.base import utcnow
from consultant.db.session import session_scope
from consultant.staff import audit
from consultant.staff.accounts import AccountError, Staff, reset_password, set_active, set_role, staff_list
from consultant.staff.tokens import DEFAULT_DAYS, MAX_DAYS, create_token, list_tokens, revoke_token
from consultant.web.auth import admin_staff, checked_form
from consultant.web.params import row_id
from consultant.web.render import page

router = APIRouter(include_in_schema=False)


@router.get("/admin/audit")
def audit_page(request: Request, staff: Staff = Depends(admin_staff), actor: str = "", action: str = "") -> Response:
    with session_scope() as session:
        entries = audit.recent(session, limit=500, actor=actor.strip().lower()[:320] or None,
                               action=action.strip()[:48] or None)
    return page(request, "audit.html", staff, entries=entries, actor=actor, action=action)


@router.get("/admin/staff")
def staff_page(request: Request, staff: Staff = Depends(admin_staff), error: str = "", done: str = "") -> Response:
    return _staff_page(request, staff, error=error[:300], done=done[:200])


def _staff_page(request: Request, staff: Staff, error: str = "", done: str = "", new_token: str = "") -> Response:
    now = utcnow()
    with session_scope() as session:
        accounts = staff_list(session)
        tokens = list_tokens(session, include_ended=True)
    return page(request, "staff.html", staff, accounts=accounts, tokens=tokens, now=now, error=error, done=done,
                new_token=new_token, default_days=DEFAULT_DAYS, max_days=MAX_DAYS)


def _change(change: Callable[[Session], str]) -> Response:
    try:
        with session_scope() as session:
            done = change(session)
    except AccountError as exc:
        return RedirectResponse(f"/admin/staff?error={quote(str(exc))}", status_code=303)
    return RedirectResponse(f"/admin/staff?done={quote(done)}", status_code=303)


def _email(form: FormData) -> str:
    return str(form.get("email", ""))[:320]


@router.post("/admin/staff/disable")
def disable(form: FormData = Depends(checked_form), staff: Staff = Depends(admin_staff)) -> Response:
    return _change(lambda s: f"disabled {set_active(s, staff.email, _email(form), False).email}")


@router.post("/admin/staff/enable")
def enable(form: FormData = Depends(checked_form), staff: Staff = Depends(admin_staff)) -> Response:
    return _change(lambda s: f"enabled {set_active(s, staff.email, _email(form), True).email}")


@router.post("/admin/staff/role")
def change_role(form: FormData = Depends(checked_form), staff: Staff = Depends(admin_staff)) -> Response:
    role = str(form.get("role", ""))[:16]
    return _change(lambda s: f"{set_role(s, staff.email, _email(form), role).email} is now {role}")


@router.post("/admin/staff/password")
def new_password(form: FormData = Depends(checked_form), staff: Staff = Depends(admin_staff)) -> Response:
    password = str(form.get("password", ""))[:1000]
    return _change(lambda s: f"new password set for {reset_password(s, staff.email, _email(form), password).email}")


@router.post("/admin/tokens/revoke")
def revoke(form: FormData = Depends(checked_form), staff: Staff = Depends(admin_staff)) -> Response:
    token_id = row_id(form.get("token_id", ""), "token_id")

    def revoked(session: Session) -> str:
        token = revoke_token(session, staff.email, token_id)
        return f"revoked token {token.id} ({token.name}) of {token.owner}"

    return _change(revoked)


@router.post("/admin/tokens")
def new_token(request: Request, form: FormData = Depends(checked_form),
              staff: Staff = Depends(admin_staff)) -> Response:
    """The new token is shown once, on this response (never in a URL)."""
    try:
        days = int(str(form.get("days", DEFAULT_DAYS)))
    except ValueError:
        return _staff_page(request, staff, error="days must be a number")
    name = str(form.get("name", ""))[:200]
    try:
        with session_scope() as session:
            token = create_token(session, staff.email, _email(form), name, days)
    except AccountError as exc:
        return _staff_page(request, staff, error=str(exc))
    return _staff_page(request, staff, done=f"token {' '.join(name.split())!r} created: copy it now, it is not "
                                            "shown again", new_token=token)
