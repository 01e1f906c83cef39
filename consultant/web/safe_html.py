"""An inbound message as staff may see it: its text, or its HTML part sanitised with nh3.

The sanitised HTML keeps structure and emphasis only: no script, no event handlers, no styles, no
links or images (so nothing loads from elsewhere). The page shows it inside a sandboxed iframe
served with a restrictive Content-Security-Policy, as a second wall."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage

import nh3

ALLOWED_TAGS = {
    "p", "br", "div", "span", "b", "i", "u", "s", "strong", "em", "small", "sub", "sup", "ul", "ol", "li",
    "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "blockquote", "pre",
    "code", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "a",
}
MAX_PART = 2_000_000


def _message(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


def _part_text(raw: bytes, subtype: str) -> str | None:
    try:
        part = _message(raw).get_body(preferencelist=(subtype,))
        if part is None or part.get_content_subtype() != subtype:
            return None
        content = part.get_content()
    except (LookupError, ValueError, AttributeError, UnicodeError):
        return None
    return content[:MAX_PART] if isinstance(content, str) else None


def has_html(raw: bytes) -> bool:
    return _part_text(raw, "html") is not None


def original_text(raw: bytes) -> str:
    """The message's text part as sent (quotes and signature included), or its HTML reduced to text."""
    from consultant.mail.html_text import html_to_text

    text = _part_text(raw, "plain")
    if text is not None:
        return text
    markup = _part_text(raw, "html")
    return html_to_text(markup) if markup is not None else ""


def sanitised_html(raw: bytes) -> str:
    markup = _part_text(raw, "html") or ""
    body = nh3.clean(markup, tags=ALLOWED_TAGS, attributes={}, url_schemes=set(), strip_comments=True,
                     link_rel="noopener noreferrer nofollow")
    return ("<!doctype html><html><head><meta charset=\"utf-8\"></head>"
            "<body style=\"font-family: sans-serif; font-size: 14px\">" + body + "</body></html>")


def highlighted(text: str, spans: list[dict]) -> list[tuple[str, str | None]]:
    """The text cut into pieces, each with the PHI kind it may be (None: plain text)."""
    pieces: list[tuple[str, str | None]] = []
    at = 0
    for span in sorted(spans, key=lambda s: (s["start"], s["end"])):
        start, end = max(span["start"], at), min(span["end"], len(text))
        if start >= end:
            continue
        if start > at:
            pieces.append((text[at:start], None))
        pieces.append((text[start:end], span["kind"]))
        at = end
    if at < len(text):
        pieces.append((text[at:], None))
    return pieces
