"""Sign in and out."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from consultant.db.session import session_scope
from consultant.settings import get_settings
from consultant.staff.accounts import Staff, TooManyAttempts, sign_in, sign_out
from consultant.web.auth import (
    PRESESSION_COOKIE,
    SESSION_COOKIE,
    checked_form,
    checked_sign_in_form,
    current_staff,
    new_presession_token,
)
from consultant.web.render import page

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never another origin."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _sign_in_page(request: Request, next_: str, error: str = "", status_code: int = 200) -> Response:
    token = new_presession_token()
    response = page(request, "sign_in.html", None, status_code=status_code, presession=token, next=next_,
                    error=error)
    response.set_cookie(PRESESSION_COOKIE, token, httponly=True, secure=get_settings().web_cookie_secure,
                        samesite="strict", path="/sign-in")
    return response


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "/") -> Response:
    return _sign_in_page(request, _safe_next(next))


@router.post("/sign-in")
def sign_in_submit(request: Request, form: FormData = Depends(checked_sign_in_form)) -> Response:
    settings = get_settings()
    next_ = _safe_next(str(form.get("next", "/")))
    outcome = sign_in(settings, str(form.get("email", ""))[:320], str(form.get("password", ""))[:1000])
    if outcome.token is None:
        status = 429 if isinstance(outcome.refusal, TooManyAttempts) else 401
        return _sign_in_page(request, next_, str(outcome.refusal), status_code=status)
    response = RedirectResponse(next_, status_code=303)
    response.set_cookie(SESSION_COOKIE, outcome.token, httponly=True, secure=settings.web_cookie_secure, samesite="strict",
                        path="/")
    response.delete_cookie(PRESESSION_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out")
def sign_out_submit(form: FormData = Depends(checked_form), staff: Staff = Depends(current_staff)) -> Response:
    with session_scope() as session:
        sign_out(session, staff)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
