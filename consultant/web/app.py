"""The app factory: routes, error pages, and the security headers every response carries."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from consultant.db.session import get_engine
from consultant.settings import get_settings
from consultant.web.auth import Forbidden, NotSignedIn, optional_staff
from consultant.web.render import page

PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; "
            "form-action 'self'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'")
# a sanitised email shown in an iframe: no script, no remote loads, no forms, a sandbox of its own
MESSAGE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src 'none'; form-action 'none'; "
               "base-uri 'none'; frame-ancestors 'self'; sandbox")
MESSAGE_PATH_MARK = "/message-html/"
HSTS = "max-age=31536000"  # a year; sent only when the app's own base URL is https


def create_app() -> FastAPI:
    from consultant.web import api
    from consultant.web.pages import admin, codes, consultation, knowledge, mail, queue, register, signin, usage

    app = FastAPI(title="consultant staff API", version="1", docs_url=None, redoc_url=None, openapi_url=None)
    for module in (signin, register, queue, consultation, mail, codes, knowledge, usage, admin):
        app.include_router(module.router)
    app.include_router(api.router)
    app.add_exception_handler(NotSignedIn, _not_signed_in)
    app.add_exception_handler(Forbidden, _forbidden)
    app.middleware("http")(_security_headers)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        """For load balancers and container healthchecks: the app answers and its database does."""
        try:
            with get_engine().connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            return JSONResponse({"status": "database unavailable", "error": type(exc).__name__}, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.get("/static/app.css", include_in_schema=False)
    def stylesheet() -> FileResponse:
        return FileResponse(Path(get_settings().templates_dir) / "web" / "app.css", media_type="text/css")

    return app


async def _security_headers(request: Request, call_next) -> Response:
    response = await call_next(request)
    message = MESSAGE_PATH_MARK in request.url.path
    response.headers["Content-Security-Policy"] = MESSAGE_CSP if message else PAGE_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN" if message else "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("Cache-Control", "no-store")
    if get_settings().web_url.startswith("https://"):
        response.headers["Strict-Transport-Security"] = HSTS
    return response


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def _not_signed_in(request: Request, exc: NotSignedIn) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": "sign in first (session cookie or Authorization: Bearer TOKEN)"},
                            status_code=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/sign-in?next={quote(target, safe='')}", status_code=303)


async def _forbidden(request: Request, exc: Forbidden) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": exc.reason}, status_code=403)
    return page(request, "forbidden.html", optional_staff(request), status_code=403, reason=exc.reason)
