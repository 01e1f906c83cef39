"""Raw bytes -> ParsedEmail: who asked what, in which thread, and whether a machine sent it.

Body extraction is a short chain of named steps: pick part -> HTML to text -> strip quotes -> strip signature
-> cut the sign-off and the forwarded header lines. What is cut is kept apart (quoted, signature,
forward_headers): screening reads every part, answering only the text."""

from __future__ import annotations

import email
import re
from dataclasses import dataclass, field
from datetime import date, timezone
from email import policy
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from consultant.mail.machine import machine_kind
from consultant.mail.mime import (
    MimeLimitExceeded,
    ParseLimits,
    attachment_names,
    body_text,
    check_header_size,
    check_structure,
    clean_header_text,
    has_tnef,
    walk,
)
from consultant.mail.quotes import FORWARD_SUBJECT, split_quoted, split_signature, strip_signature
from consultant.mail.signoff import split_own_text
from consultant.settings import get_settings

__all__ = ["ParsedEmail", "UnparseableEmail", "parse_email", "split_quoted", "strip_signature"]

_MSGID = re.compile(r"<[^<>\s]{1,250}>")
_BLANK_LINES = re.compile(r"\n{3,}")
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAIL_HEADERS = frozenset({"from", "sender", "reply-to", "to", "cc", "subject", "date", "message-id", "return-path",
                           "received", "mime-version", "content-type"})


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
    signature: str = ""  # the sender's sign-off block and "-- " signature, cut from the text
    forward_headers: str = ""  # the From/Date/To/Subject lines of forwarded messages, cut from the text
    sent_on: date | None = None  # the Date header's day (UTC); None when missing or unreadable

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Message-IDs this message answers, nearest first."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        for message_id in reversed(self.references):
            if message_id not in ids:
                ids.append(message_id)
        return tuple(ids)


def parse_email(raw: bytes, envelope_from: str = "", limits: ParseLimits | None = None) -> ParsedEmail:
    """Read a message once. Raises only UnparseableEmail, whose text is the quarantine reason."""
    limits = limits or ParseLimits.from_settings(get_settings())
    if raw.startswith(_OLE_SIGNATURE):
        raise UnparseableEmail("an Outlook .msg file (OLE compound document), not a MIME message")
    try:
        check_header_size(raw, limits)
        message = _read(raw)
        check_structure(message, limits)
        if not any(name.lower() in _MAIL_HEADERS for name in message.keys()):
            raise UnparseableEmail("no mail header fields found (not an email message)")
        return _extract(message, envelope_from)
    except MimeLimitExceeded as exc:
        raise UnparseableEmail(str(exc)) from exc
    except RecursionError as exc:
        raise UnparseableEmail("MIME structure nested too deeply to read") from exc


def _read(raw: bytes) -> Message:
    try:
        return email.message_from_bytes(raw, policy=policy.default)
    except RecursionError:
        raise
    except Exception as exc:  # the stdlib parser is lenient; this is a last resort
        raise UnparseableEmail(f"MIME structure could not be read ({type(exc).__name__})") from exc


def _extract(message: Message, envelope_from: str) -> ParsedEmail:
    sender, name = _sender(message, envelope_from)
    subject = clean_header_text(_header(message, "Subject"))
    body = body_text(message)
    if not body.strip() and has_tnef(message):
        raise UnparseableEmail("the text is only in a TNEF winmail.dat (Outlook rich text), which is not read")
    text, quoted = split_quoted(body, forwarded=bool(FORWARD_SUBJECT.match(subject)))
    text, signature = split_signature(text)
    own = split_own_text(text, name)
    return ParsedEmail(
        message_id=_first_msgid(_header(message, "Message-ID")),
        sender=sender,
        sender_name=name,
        subject=subject,
        text=_BLANK_LINES.sub("\n\n", own.text).strip(),
        quoted=quoted,
        in_reply_to=_first_msgid(_header(message, "In-Reply-To")),
        references=tuple(_MSGID.findall(_header(message, "References"))),
        machine=machine_kind(message, sender, envelope_from),
        attachments=tuple(attachment_names(message)),
        defects=tuple(sorted({type(d).__name__ for part in walk(message) for d in part.defects})),
        signature="\n".join(part.strip("\n") for part in (own.sign_off, signature) if part.strip()),
        forward_headers=own.forward_headers,
        sent_on=_sent_on(_header(message, "Date")),
    )


def _sent_on(value: str) -> date | None:
    try:
        sent = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=timezone.utc)
    return sent.astimezone(timezone.utc).date()


def _header(message: Message, name: str) -> str:
    raw = next((v for k, v in message.raw_items() if k.lower() == name.lower()), None)
    if raw is None:
        return ""
    if _has_8bit(str(raw)):  # raw 8-bit bytes: decoded here as UTF-8 or Windows-1252, not replaced by "?"
        return clean_header_text(str(raw))
    try:
        value = message.get(name)
    except Exception:  # the policy's header parser fails on some values (e.g. "Message-ID: <>"): use the raw text
        value = raw
    return clean_header_text(str(value))


def _has_8bit(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def _first_msgid(value: str) -> str | None:
    match = _MSGID.search(value)
    return match.group(0) if match else None


def _sender(message: Message, envelope_from: str) -> tuple[str, str]:
    pairs = [(n, a) for n, a in getaddresses([_header(message, "From")]) if "@" in a]
    if pairs:
        display, address = pairs[0]
        return address.strip().lower()[:320], clean_header_text(display)[:200]
    return parseaddr(envelope_from)[1].lower()[:320], ""
