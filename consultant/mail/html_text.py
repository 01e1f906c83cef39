"""HTML to readable text with inscriptis (layout-aware, on lxml's HTML parser).

Scripts, styles and other invisible elements are dropped, blocks become lines, table cells are
separated, and blockquote lines are marked "> " like a plain-text quote. The markup is cut at
MAX_HTML_CHARS before parsing and lxml caps tree depth, so hostile HTML costs bounded time and
memory; lxml's HTML parser expands no DTD entities, so entity bombs stay inert text."""

from __future__ import annotations

import html
import re
from functools import lru_cache

from inscriptis import Inscriptis
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.html_properties import Display
from inscriptis.model.config import ParserConfig
from inscriptis.model.html_element import HtmlElement
from lxml.etree import LxmlError
from lxml.html import document_fromstring

MAX_HTML_CHARS = 2_000_000
_HIDDEN = ("noscript", "template", "iframe", "object", "embed", "svg", "math", "button", "select")
_QUOTE = "quote"
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")
_BODY = re.compile(r"<body\b", re.IGNORECASE)


@lru_cache(maxsize=1)
def _config() -> ParserConfig:
    css = CSS_PROFILES["strict"].copy()
    for tag in _HIDDEN:
        css[tag] = HtmlElement(tag=tag, display=Display.none)
    for tag in ("ul", "ol"):
        css[tag] = HtmlElement(tag=tag, display=Display.block)  # list items as plain lines, not indented
    return ParserConfig(css=css, table_cell_separator=" ", annotation_rules={"blockquote": [_QUOTE]})


def html_to_text(markup: str) -> str:
    markup = _close_head(_XML_DECLARATION.sub("", markup[:MAX_HTML_CHARS].replace("\x00", "")).strip())
    if not markup:
        return ""
    try:
        converter = Inscriptis(document_fromstring(markup), _config())
        text = converter.get_text()
        quotes = [(a.start, a.end) for a in converter.get_annotations() if _QUOTE in a.metadata]
    except (LxmlError, ValueError, RecursionError):  # last resort: drop scripts and styles, then every tag
        markup = re.sub(r"(?is)<(script|style)\b.*?(</\1\s*>|$)", " ", markup)
        return html.unescape(re.sub(r"<[^>]*>?", " ", markup)).strip()
    return _tidy(_mark_quotes(text, quotes))


def _close_head(markup: str) -> str:
    """Close a <title> or <style> left open in the head, which lxml would let swallow the body."""
    body = _BODY.search(markup)
    if body is None:
        return markup
    head = markup[: body.start()].lower()
    closing = "".join(f"</{tag}>" for tag in ("title", "style") if head.count(f"<{tag}") > head.count(f"</{tag}"))
    return markup[: body.start()] + closing + markup[body.start() :] if closing else markup


def _mark_quotes(text: str, quotes: list[tuple[int, int]]) -> str:
    """Prefix each non-blank line by "> " once per blockquote it lies in."""
    if not quotes:
        return text
    lines: list[str] = []
    offset = 0
    for line in text.split("\n"):
        depth = sum(1 for start, end in quotes if start <= offset < end)
        lines.append("> " * depth + line.lstrip() if depth and line.strip() else line)
        offset += len(line) + 1
    return "\n".join(lines)


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\xa0", " ").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
