"""Raw bytes -> ParsedEmail: who asked what, in which thread, and whether a machine sent it.

Body extraction is a short chain of named steps: pick part -> HTML to text -> strip quotes -> strip signature."""

from __future__ import annotations

import email
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr

from consultant.mail.html_text import html_to_text
from consultant.mail.machine import machine_kind

_MSGID = re.compile(r"<[^<>\s]{1,250}>")


class UnparseableEmail(ValueError):
    """The message cannot be understood at all; it is quarantined with this reason."""


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str | None
    sender: str
    sender_name: str
    subject: str
    text: str
    quoted: str
    in_reply_to: str | None
    references: tuple[str, ...]
    machine: str | None
    attachments: tuple[str, ...] = ()
    defects: tuple[str, ...] = field(default_factory=tuple)

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Message-IDs this message answers, nearest first."""
        ids = list(reversed(self.references))
        if self.in_reply_to and self.in_reply_to not in ids:
            ids.insert(0, self.in_reply_to)
        return tuple(ids)


def parse_email(raw: bytes, envelope_from: str = "") -> ParsedEmail:
    try:
        message = email.message_from_bytes(raw, policy=policy.default)
    except Exception as exc:  # the stdlib parser is lenient; this is a last resort
        raise UnparseableEmail(f"MIME structure could not be read ({type(exc).__name__})") from exc
    sender, name = _sender(message, envelope_from)
    body = _plain_text(message)
    text, quoted = split_quoted(body)
    return ParsedEmail(
        message_id=_first_msgid(_header(message, "Message-ID")),
        sender=sender,
        sender_name=name,
        subject=_clean_line(_header(message, "Subject")),
        text=strip_signature(text).strip(),
        quoted=quoted,
        in_reply_to=_first_msgid(_header(message, "In-Reply-To")),
        references=tuple(_MSGID.findall(_header(message, "References"))),
        machine=machine_kind(message, sender, envelope_from),
        attachments=tuple(_attachment_names(message)),
        defects=tuple(sorted({type(d).__name__ for part in message.walk() for d in part.defects})),
    )


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a malformed header the policy cannot fold
        value = message.get_all(name, failobj=[None])[0] if hasattr(message, "get_all") else None
    return str(value) if value is not None else ""


def _first_msgid(value: str) -> str | None:
    match = _MSGID.search(value)
    return match.group(0) if match else None


def _clean_line(value: str) -> str:
    return " ".join(value.split())[:998]


def _sender(message: Message, envelope_from: str) -> tuple[str, str]:
    for name in ("From",):
        pairs = [(n, a) for n, a in getaddresses([_header(message, name)]) if "@" in a]
        if pairs:
            display, address = pairs[0]
            return address.strip().lower(), _clean_line(display)
    return parseaddr(envelope_from)[1].lower(), ""


def _plain_text(message: Message) -> str:
    """Pick the best body part: text/plain, else text/html converted to text."""
    if not isinstance(message, EmailMessage):
        return ""
    try:
        part = message.get_body(preferencelist=("plain", "html"))
    except Exception:
        part = None
    if part is None:
        return ""
    content = _decoded(part)
    if part.get_content_subtype() == "html":
        return html_to_text(content)
    return content


def _decoded(part: Message) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError, ValueError):
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)


def _attachment_names(message: Message):
    if not isinstance(message, EmailMessage):
        return
    for part in message.iter_attachments() if message.is_multipart() else ():
        yield _clean_line(part.get_filename() or part.get_content_type())


_QUOTE_STARTS = (
    re.compile(r"^On .{1,200}wrote:\s*$", re.IGNORECASE),
    re.compile(r"^Le .{1,200}a écrit\s*:\s*$", re.IGNORECASE),
    re.compile(r"^-{2,}\s*Original Message\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^_{10,}\s*$"),
    re.compile(r"^From:\s.+$"),
)


def split_quoted(body: str) -> tuple[str, str]:
    """The new text, and the quoted earlier message (everything from the first quote marker)."""
    lines = body.replace("\r\n", "\n").split("\n")
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(">") or any(p.match(stripped) for p in _QUOTE_STARTS):
            if _starts_forward(lines, index):
                continue
            return "\n".join(lines[:index]), "\n".join(lines[index:])
    return "\n".join(lines), ""


def _starts_forward(lines: list[str], index: int) -> bool:
    previous = [line.strip() for line in lines[max(0, index - 2) : index]]
    return any(re.match(r"^-+\s*Forwarded message\s*-+$", p, re.IGNORECASE) for p in previous)


def strip_signature(text: str) -> str:
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line.rstrip() == "--" or line == "-- ":
            return "\n".join(lines[:index])
    return text
