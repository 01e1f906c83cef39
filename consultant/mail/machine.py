"""Is this message from a machine (auto-reply, bounce, list, our own mail)? Such mail is never answered."""

from __future__ import annotations

import re
from email.message import Message

# compared with "-", "_" and "." removed: MAILER-DAEMON, post_master, no-reply, do_not_reply ...
_MACHINE_LOCALPARTS = ("mailerdaemon", "postmaster", "noreply", "donotreply")
_LIST_HEADERS = ("List-Id", "List-Unsubscribe", "List-Subscribe", "List-Post", "List-Help", "List-Owner",
                 "Mailing-List", "X-Mailing-List", "X-MLServer", "X-ML-Name")  # RFC 2369/2919, ezmlm, fml
# Subjects machines write (a person's "Fwd:" of one too); checked after the rules that name a kind of
# machine mail and before the ones that only say "bulk" or "list", so a list's bounce is called a bounce.
_MACHINE_SUBJECTS = (
    ("bounce", re.compile(r"^(?:fwd?:\s*)*(?:returned mail:|undelivered mail returned to sender"
                          r"|undeliverable(?::| message$)|mail could not be delivered|mail delivery failed"
                          r"|delivery status notification|failure notice$)",
                          re.IGNORECASE)),
    ("feedback report", re.compile(r"^complaint about message from ", re.IGNORECASE)),  # Hotmail JMRP
    ("auto-reply", re.compile(r"^(?:auto(?:matic)?[ -]?reply|autoreply|out of (?:the )?office(?: autoreply)?)\s*:",
                              re.IGNORECASE)),
)


def machine_kind(message: Message, sender: str, envelope_from: str) -> str | None:
    """A short reason naming what kind of machine mail this is, or None for a person's mail."""
    for rule in (_report, _report_part, _auto_submitted, _null_sender, _null_return_path, _daemon_sender,
                 _auto_headers, _machine_subject, _precedence, _list_mail):
        reason = rule(message, sender, envelope_from)
        if reason:
            return reason
    return None


def _get(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:
        return ""
    return str(value).strip().lower() if value is not None else ""


def _report(message: Message, sender: str, envelope_from: str) -> str | None:
    if message.get_content_type() == "multipart/report":
        report_type = message.get_param("report-type") or ""
        kind = {"delivery-status": "bounce", "feedback-report": "feedback report"}.get(str(report_type).lower())
        return f"{kind or 'report'} (multipart/report)"
    return None


_REPORT_PARTS = {"message/delivery-status": "bounce", "message/global-delivery-status": "bounce",
                 "message/feedback-report": "feedback report", "message/disposition-notification": "read receipt"}


def _report_part(message: Message, sender: str, envelope_from: str) -> str | None:
    """A delivery status or feedback report as the message itself or as one of its top-level parts
    (some gateways wrap it in multipart/mixed)."""
    parts = [message, *(message.get_payload() if message.is_multipart() else ())]
    for part in parts:
        kind = _REPORT_PARTS.get(part.get_content_type()) if isinstance(part, Message) else None
        if kind:
            return f"{kind} ({part.get_content_type()})"
    return None


def _auto_submitted(message: Message, sender: str, envelope_from: str) -> str | None:
    value = _get(message, "Auto-Submitted")
    keyword = re.match(r"[a-z0-9-]*", value).group(0)  # RFC 3834: "no (comment)" and "no; x=y" are a person
    if value and keyword != "no":
        return f"auto-reply (Auto-Submitted: {value[:40]})"
    return None


def _precedence(message: Message, sender: str, envelope_from: str) -> str | None:
    value = _get(message, "Precedence")
    if value in ("bulk", "junk", "list", "auto_reply"):
        return f"bulk mail (Precedence: {value})"
    return None


def _list_mail(message: Message, sender: str, envelope_from: str) -> str | None:
    for name in _LIST_HEADERS:
        if _get(message, name):
            return f"mailing list ({name})"
    return None


def _null_sender(message: Message, sender: str, envelope_from: str) -> str | None:
    if envelope_from.strip() in ("", "<>"):
        return "null envelope sender (delivery notification)"
    return None


def _null_return_path(message: Message, sender: str, envelope_from: str) -> str | None:
    """The delivering server wrote the null envelope sender as Return-Path: <> (or From: <>)."""
    for name in ("Return-Path", "From"):
        if _get(message, name).replace(" ", "") == "<>":
            return f"null sender ({name}: <>)"
    return None


def _daemon_sender(message: Message, sender: str, envelope_from: str) -> str | None:
    local = sender.partition("@")[0]
    if re.sub(r"[-_.]", "", local).startswith(_MACHINE_LOCALPARTS):
        return f"machine sender ({local})"
    return None


def _auto_headers(message: Message, sender: str, envelope_from: str) -> str | None:
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        value = _get(message, name)
        if value and (name != "X-Auto-Response-Suppress" or "oof" in value or value == "all"):
            return f"auto-reply ({name})"
    return None


def _machine_subject(message: Message, sender: str, envelope_from: str) -> str | None:
    subject = " ".join(_get(message, "Subject").split())
    for kind, pattern in _MACHINE_SUBJECTS:
        if pattern.match(subject):
            return f"{kind} (subject)"
    return None
