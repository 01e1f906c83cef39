"""A delivery failure report about mail we sent: which of our messages it returns, and why.

A bounce quotes the message it returns (RFC 3464: a message/rfc822 or text/rfc822-headers part; the
non-standard ones paste it into the text), so a Message-ID header in our own domain is in its bytes.
Only reports of a failure count: a delay notice or a vacation reply quoting our Message-ID does not."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import Message

_FAILED_ACTION = re.compile(rb"^Action:\s*failed", re.IGNORECASE | re.MULTILINE)
_STATUS = re.compile(rb"^Status:\s*(5\.\d{1,3}\.\d{1,3})", re.IGNORECASE | re.MULTILINE)
_DIAGNOSTIC = re.compile(rb"^Diagnostic-Code:\s*(.{1,200})", re.IGNORECASE | re.MULTILINE)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (?:status notification \(failure\)|failure|has failed)|returned mail|mail delivery failed"
    r"|failure notice|delivery failed|non-?delivery|could not be delivered", re.IGNORECASE)
_DAEMON = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.IGNORECASE)


@dataclass(frozen=True)
class Bounce:
    message_ids: tuple[str, ...]  # ours, as they appear in the report, with angle brackets
    reason: str  # status code and diagnostic, or what marked it as a failure


def read_bounce(raw: bytes, our_domain: str, envelope_from: str = "") -> Bounce | None:
    """The failure this message reports about our mail, or None (not a failure, or not about ours)."""
    ours = _our_message_ids(raw, our_domain)
    if not ours:
        return None
    reason = _failure(raw, envelope_from)
    return Bounce(ours, reason) if reason else None


def _our_message_ids(raw: bytes, domain: str) -> tuple[str, ...]:
    pattern = re.compile(rb"^(?:Message-ID|In-Reply-To|References):[^\n]*?(<[^<>\s@]{1,200}@"
                         + re.escape(domain.encode("ascii", "ignore")) + rb">)", re.IGNORECASE | re.MULTILINE)
    return tuple(dict.fromkeys(m.group(1).decode("ascii", "replace") for m in pattern.finditer(raw)))


def _failure(raw: bytes, envelope_from: str) -> str | None:
    if _FAILED_ACTION.search(raw):
        status = _STATUS.search(raw)
        diagnostic = _DIAGNOSTIC.search(raw)
        parts = [f"status {status.group(1).decode()}" if status else "delivery failed"]
        if diagnostic:
            parts.append(diagnostic.group(1).decode("utf-8", "replace").strip())
        return "; ".join(parts)
    if re.search(rb"^Action:\s*(?:delayed|relayed|delivered|expanded)", raw, re.IGNORECASE | re.MULTILINE):
        return None  # a delivery status report that is not a failure
    message = _headers_only(raw)
    subject = str(message.get("Subject", ""))
    sender = str(message.get("From", ""))
    null_sender = envelope_from in ("", "<>")
    daemon = bool(_DAEMON.search(re.sub(r".*<|>.*", "", sender))) or null_sender
    if daemon and _BOUNCE_SUBJECT.search(subject):
        return f"returned by a mail server ({subject[:80]})"
    return None


def _headers_only(raw: bytes) -> Message:
    end = raw.find(b"\r\n\r\n")
    end = raw.find(b"\n\n") if end < 0 else end
    return message_from_bytes(raw[: end if end >= 0 else len(raw)], policy=policy.compat32)
