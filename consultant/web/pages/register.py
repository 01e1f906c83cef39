"""Public registration pages (no staff sign-in): ask for a confirmation code by email, and confirm it with the
link that email carries. Both forms use a double-submit cookie for CSRF; confirming is a POST, used once."""

from __future__ import annotations

import logging
import re

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from consultant.consult.metering import request_registration
from consultant.db.session import session_scope
from consultant.settings import get_settings
from consultant.usage.registration import RegistrationError, confirm_registration
from consultant.web.auth import REGISTER_COOKIE, checked_register_form, new_presession_token
from consultant.web.render import page

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)
ADDRESS = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MAX_TOKEN = 100


def _with_form_token(request: Request, template: str, status_code: int = 200, **context) -> Response:
    token = new_presession_token()
    response = page(request, template, None, status_code=status_code, form_token=token, **context)
    response.set_cookie(REGISTER_COOKIE, token, httponly=True, secure=get_settings().web_cookie_secure,
                        samesite="strict", path="/register")
    return response


@router.get("/register")
def register_page(request: Request) -> Response:
    return _with_form_token(request, "register.html", error="", asked="")


@router.post("/register")
def register_submit(request: Request, form: FormData = Depends(checked_register_form)) -> Response:
    address = str(form.get("email", "")).strip()
    if len(address) > 320 or not ADDRESS.match(address):
        return _with_form_token(request, "register.html", 400, error="enter an email address such as "
                                "name@example.org", asked="")
    settings = get_settings()
    with session_scope() as session:
        outcome = request_registration(session, settings, address).outcome
    log.info("web registration request outcome=%s", outcome)
    return _with_form_token(request, "register.html", error="", asked=address,
                            valid_hours=settings.registration_token_hours)


@router.get("/register/confirm")
def confirm_page(request: Request, token: str = Query("", max_length=MAX_TOKEN)) -> Response:
    return _with_form_token(request, "register_confirm.html", token=token.strip(), registered=None, error="")


@router.post("/register/confirm")
def confirm_submit(request: Request, form: FormData = Depends(checked_register_form)) -> Response:
    token = str(form.get("token", "")).strip()[:MAX_TOKEN]
    try:
        registered = confirm_registration(token)
    except RegistrationError as exc:
        return _with_form_token(request, "register_confirm.html", 400, token="", registered=None, error=str(exc))
    return page(request, "register_confirm.html", None, token="", registered=registered, error="", form_token="")
