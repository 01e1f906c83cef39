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
        ids = [self.in_reply_to] if self.in_reply_to else []
        for message_id in reversed(self.references):
            if message_id not in ids:
                ids.append(message_id)
        return tuple(ids)


def parse_email(raw: bytes, envelope_from: str = "") -> ParsedEmail:
    try:
        message = email.message_from_bytes(raw, policy=policy.default)
    except Exception as exc:  # the stdlib parser is lenient; this is a last resort
        raise UnparseableEmail(f"MIME structure could not be read ({type(exc).__name__})") from exc
    sender, name = _sender(message, envelope_from)
    subject = _clean_line(_header(message, "Subject"))
    body = _plain_text(message)
    text, quoted = split_quoted(body, forwarded=bool(_FORWARD_SUBJECT.match(subject)))
    return ParsedEmail(
        message_id=_first_msgid(_header(message, "Message-ID")),
        sender=sender,
        sender_name=name,
        subject=subject,
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
    except Exception:  # the policy's header parser fails on some values (e.g. "Message-ID: <>"): use the raw text
        value = next((v for k, v in message.raw_items() if k.lower() == name.lower()), None)
        value = " ".join(str(value).split()) if value is not None else None
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


_ATTRIBUTIONS = (
    re.compile(r"^On\s.{1,200}\swrote:$", re.IGNORECASE),  # Gmail, Apple Mail, Thunderbird
    re.compile(r"^Le\s.{1,200}\sa écrit\s?:$", re.IGNORECASE),
)
_HISTORY_STARTS = (
    re.compile(r"^-{2,}\s*Original Message\s*-{2,}$", re.IGNORECASE),  # Outlook
    re.compile(r"^_{10,}$"),  # Outlook's rule above its From:/Sent: block
)
_HEADER_BLOCK = re.compile(r"^From:\s.+$")  # Outlook without a rule: From: then Sent:/Date: lines
_HEADER_BLOCK_NEXT = re.compile(r"^(Sent|Date):\s.+$")
_FORWARD_MARKERS = (
    re.compile(r"^-+\s*Forwarded message\s*-+$", re.IGNORECASE),  # Gmail, Thunderbird, Outlook
    re.compile(r"^Begin forwarded message:$", re.IGNORECASE),  # Apple Mail
)
_FORWARD_SUBJECT = re.compile(r"^fwd?\s*:", re.IGNORECASE)  # Fwd: (Gmail), FW: (Outlook)


def split_quoted(body: str, forwarded: bool = False) -> tuple[str, str]:
    """The new text, and the quoted earlier messages.

    "> " lines and their "On ... wrote:" line are quoted wherever they are, so a reply written
    below or between quotes is kept; an Outlook-style header block quotes everything after it.
    A forwarded message is the question: from a forward marker on (or everywhere, when the
    subject says Fwd:/FW:) nothing counts as quoted."""
    lines = body.replace("\r\n", "\n").split("\n")
    if forwarded:
        return "\n".join(lines), ""
    text: list[str] = []
    quoted: list[str] = []
    index = 0
    while index < len(lines):
        stripped = lines[index].strip()
        if _is_forward_marker(stripped):
            text.extend(lines[index:])
            break
        if _starts_history(lines, index, stripped):
            quoted.extend(lines[index:])
            break
        size = 1 if stripped.startswith(">") else _attribution_size(lines, index, stripped)
        if size:
            quoted.extend(lines[index : index + size])
            index += size
        else:
            text.append(lines[index])
            index += 1
    return "\n".join(text), "\n".join(quoted)


def _is_forward_marker(stripped: str) -> bool:
    return any(p.match(stripped) for p in _FORWARD_MARKERS)


def _attribution_size(lines: list[str], index: int, stripped: str) -> int:
    """How many lines the "On ... wrote:" line above a quote takes (Gmail wraps a long one in two)."""
    if any(p.match(stripped) for p in _ATTRIBUTIONS):
        return 1
    if stripped.startswith(("On ", "Le ")) and index + 1 < len(lines):
        joined = f"{stripped} {lines[index + 1].strip()}"
        if any(p.match(joined) for p in _ATTRIBUTIONS):
            return 2
    return 0


def _starts_history(lines: list[str], index: int, stripped: str) -> bool:
    if any(p.match(stripped) for p in _HISTORY_STARTS):
        return True
    following = [line.strip() for line in lines[index + 1 : index + 4]]
    return bool(_HEADER_BLOCK.match(stripped)) and any(_HEADER_BLOCK_NEXT.match(f) for f in following)


def strip_signature(text: str) -> str:
    """Drop everything from a "-- " line on, up to a forwarded message (which is kept)."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line.rstrip() == "--":
            rest = lines[index + 1 :]
            forward = next((i for i, l in enumerate(rest) if _is_forward_marker(l.strip())), None)
            own = "\n".join(lines[:index])
            return own if forward is None else own + "\n" + strip_signature("\n".join(rest[forward:]))
    return text
