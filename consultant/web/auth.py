"""Who is asking: a browser's session cookie or a script's bearer token; role checks; CSRF on every form.

A form POST must carry the session's CSRF token (field `csrf`); a cookie-authenticated API call carries it
in the X-CSRF-Token header. Sign-in and the public registration pages, where no session exists, use a
double-submit cookie instead."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Depends, Request
from starlette.datastructures import FormData

from consultant.db.session import in_transaction
from consultant.settings import get_settings
from consultant.staff.accounts import API, BROWSER, Staff, resume

SESSION_COOKIE = "consultant_session"
PRESESSION_COOKIE = "consultant_presession"
REGISTER_COOKIE = "consultant_register"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


class NotSignedIn(Exception):
    pass


class Forbidden(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def optional_staff(request: Request) -> Staff | None:
    settings = get_settings()
    token, kind = _bearer(request), API
    if token is None:
        token, kind = request.cookies.get(SESSION_COOKIE), BROWSER
    if not token:
        return None
    staff = in_transaction(lambda session: resume(session, settings, token, kind))
    if staff is not None:
        request.state.auth_kind = kind
    return staff


def current_staff(staff: Staff | None = Depends(optional_staff)) -> Staff:
    if staff is None:
        raise NotSignedIn()
    return staff


def admin_staff(staff: Staff = Depends(current_staff)) -> Staff:
    if not staff.is_admin:
        raise Forbidden("this page is for administrators")
    return staff


def _same(given: str | None, expected: str | None) -> bool:
    return bool(given) and bool(expected) and hmac.compare_digest(str(given), str(expected))


async def checked_form(request: Request, staff: Staff = Depends(current_staff)) -> FormData:
    """The posted form, once its CSRF token is the signed-in session's."""
    form = await request.form()
    if not _same(form.get(CSRF_FIELD), staff.csrf_token):
        raise Forbidden("the form's security token is missing or stale: reload the page and try again")
    return form


def api_staff(request: Request, staff: Staff = Depends(current_staff)) -> Staff:
    """For API writes: a bearer token needs nothing more; a browser session needs the CSRF header."""
    if getattr(request.state, "auth_kind", BROWSER) == BROWSER and not _same(request.headers.get(CSRF_HEADER),
                                                                             staff.csrf_token):
        raise Forbidden("cookie-authenticated API writes need the X-CSRF-Token header")
    return staff


async def _double_submitted(request: Request, cookie: str, what: str) -> FormData:
    form = await request.form()
    if not _same(form.get(CSRF_FIELD), request.cookies.get(cookie)):
        raise Forbidden(f"the {what} form's security token is missing or stale: reload the page and try again")
    return form


async def checked_sign_in_form(request: Request) -> FormData:
    return await _double_submitted(request, PRESESSION_COOKIE, "sign-in")


async def checked_register_form(request: Request) -> FormData:
    return await _double_submitted(request, REGISTER_COOKIE, "registration")


def new_presession_token() -> str:
    return secrets.token_urlsafe(32)
