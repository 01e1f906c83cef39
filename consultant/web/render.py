"""Pages from templates/web/ (autoescaped), rendered with the signed-in staff member and their CSRF token."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from consultant.settings import get_settings
from consultant.staff.accounts import Staff


@lru_cache
def environment(root: str) -> Environment:
    env = Environment(loader=FileSystemLoader(root), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["when"] = lambda value: value.strftime("%Y-%m-%d %H:%M UTC") if value else ""
    return env


def page(request: Request, template: str, staff: Staff | None, status_code: int = 200, **context) -> HTMLResponse:
    env = environment(str(Path(get_settings().templates_dir) / "web"))
    html = env.get_template(template).render(request=request, staff=staff, csrf=staff.csrf_token if staff else "",
                                             **context)
    return HTMLResponse(html, status_code=status_code)
