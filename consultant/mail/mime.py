"""MIME with limits: read the structure once, refuse what is too big or too deep, pick the body.

Everything here tolerates real-world damage (missing boundaries, unknown charsets, 8-bit headers,
broken parameters) and either returns something usable or raises MimeLimitExceeded with a reason."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage, Message

from consultant.mail.html_text import html_to_text
from consultant.settings import Settings

_HEADER_END = re.compile(rb"\r?\n\r?\n")
TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
_FALLBACK_CHARSETS = ("utf-8", "cp1252", "latin-1")


class MimeLimitExceeded(ValueError):
    """The message is bigger, deeper or more fragmented than this service reads."""


@dataclass(frozen=True)
class ParseLimits:
    max_parts: int = 1000
    max_depth: int = 20
    max_header_bytes: int = 64 * 1024

    @classmethod
    def from_settings(cls, settings: Settings) -> ParseLimits:
        return cls(settings.max_mime_parts, settings.max_mime_depth, settings.max_header_bytes)


def check_header_size(raw: bytes, limits: ParseLimits) -> None:
    """Refuse a header section over the limit before the parser spends time on it."""
    end = _HEADER_END.search(raw, 0, limits.max_header_bytes + 4)
    size = end.start() if end else min(len(raw), limits.max_header_bytes + 1)
    if size > limits.max_header_bytes:
        raise MimeLimitExceeded(f"header section larger than {limits.max_header_bytes} bytes")


def check_structure(message: Message, limits: ParseLimits) -> None:
    """Count parts and nesting without recursion, stopping as soon as a limit is passed."""
    stack: list[tuple[Message, int]] = [(message, 0)]
    parts = 0
    while stack:
        part, depth = stack.pop()
        parts += 1
        if parts > limits.max_parts:
            raise MimeLimitExceeded(f"more than {limits.max_parts} MIME parts")
        if depth > limits.max_depth:
            raise MimeLimitExceeded(f"MIME parts nested deeper than {limits.max_depth} levels")
        stack.extend((child, depth + 1) for child in _children(part))


def walk(message: Message) -> Iterator[Message]:
    """Every part, depth first, without recursion (call check_structure first)."""
    stack = [message]
    while stack:
        part = stack.pop()
        yield part
        stack.extend(reversed(_children(part)))


def _children(part: Message) -> list[Message]:
    """Sub-parts, read without get_payload's decoding of a leaf (which raises on some charset names)."""
    if not part.is_multipart():
        return []
    return [child for child in part.get_payload() if isinstance(child, Message)]


def body_text(message: Message) -> str:
    """The best text of the message: text/plain, else text/html as text; inside multipart/signed the
    signed content; a multipart whose boundary is missing is read as the text it really is; a message
    that only forwards another as an attachment yields the forwarded message's text."""
    part = _body_part(message)
    if part is not None:
        return _as_text(part)
    if not message.is_multipart() and message.get_content_maintype() == "multipart":
        return decode_payload(message)  # no boundary: the parser kept the body as one string
    forwarded = next((p for p in walk(message) if p is not message and p.get_content_type() == "message/rfc822"),
                     None)
    inner = _children(forwarded)[:1] if forwarded is not None else []
    if inner:
        part = _body_part(inner[0])
        return _as_text(part) if part is not None else ""
    return ""


def has_tnef(message: Message) -> bool:
    return any(part.get_content_type() in TNEF_TYPES for part in walk(message))


def _body_part(message: Message) -> Message | None:
    if not isinstance(message, EmailMessage):
        return None
    try:
        return message.get_body(preferencelist=("plain", "html"))
    except Exception:  # a damaged part list or parameter: read no body rather than fail
        return None


def _as_text(part: Message) -> str:
    content = decode_payload(part)
    return html_to_text(content) if part.get_content_subtype() == "html" else content


def decode_payload(part: Message) -> str:
    """The part's text in its declared charset; an unknown or wrong charset falls back to UTF-8, then
    Windows-1252, then Latin-1 (which decodes any byte), so damaged text is still read."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if payload is None:
        return ""
    charset = _charset(part)
    for name in (charset, *_FALLBACK_CHARSETS):
        if not name:
            continue
        try:
            return payload.decode(name)
        except (LookupError, UnicodeError):
            continue
    return payload.decode("latin-1")  # not reached: Latin-1 decodes every byte


def _charset(part: Message) -> str | None:
    try:
        charset = part.get_content_charset()
    except Exception:
        return None
    if not charset or not re.fullmatch(r"[a-z0-9._:+-]{1,40}", charset):
        return None
    return {"iso-8859-8-i": "iso-8859-8", "unicode-1-1-utf-7": "utf-7", "ks_c_5601-1987": "cp949"}.get(charset, charset)


def attachment_names(message: Message) -> Iterator[str]:
    """File names (RFC 2231 continuations and charsets decoded), else the content type."""
    for part in walk(message):
        if part is message or part.is_multipart():
            continue
        try:
            disposition = part.get_content_disposition()
            name = part.get_filename()
        except Exception:
            disposition, name = "attachment", None
        if disposition == "attachment" or name:
            yield clean_header_text(str(name) if name else part.get_content_type())


def clean_header_text(value: str) -> str:
    """One line of at most 998 characters; raw 8-bit bytes (kept by the parser as surrogates) are
    decoded as UTF-8, else Windows-1252."""
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        data = value.encode("utf-8", "surrogateescape")
        try:
            value = data.decode("utf-8")
        except UnicodeDecodeError:
            value = data.decode("cp1252", "replace")
    return " ".join(value.split())[:998]
