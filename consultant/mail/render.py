"""Email templates: templates/email/<name>/{subject.txt, body.txt, body.html (optional)}.

Two Jinja2 environments built once: plain text without escaping, HTML with autoescape."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None


@lru_cache
def _environments(root: str) -> tuple[Environment, Environment]:
    loader = FileSystemLoader(root)
    common = {"loader": loader, "undefined": StrictUndefined, "trim_blocks": True, "lstrip_blocks": True,
              "keep_trailing_newline": True}
    return Environment(autoescape=False, **common), Environment(autoescape=True, **common)


def render_email(templates_dir: Path, name: str, context: dict) -> Rendered:
    text_env, html_env = _environments(str(templates_dir / "email"))
    subject = text_env.get_template(f"{name}/subject.txt").render(context)
    text = text_env.get_template(f"{name}/body.txt").render(context)
    try:
        html = html_env.get_template(f"{name}/body.html").render(context)
    except TemplateNotFound:
        html = None
    return Rendered(subject=" ".join(subject.split()), text=text, html=html)


def render_fragment(templates_dir: Path, template: str, context: dict, html: bool = False) -> str:
    """One template under templates/email/ on its own (an answer section, a draft)."""
    text_env, html_env = _environments(str(templates_dir / "email"))
    return (html_env if html else text_env).get_template(template).render(context)
