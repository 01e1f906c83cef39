"""Is this message from a machine (auto-reply, bounce, list, our own mail)? Such mail is never answered."""

from __future__ import annotations

from email.message import Message

_MACHINE_LOCALPARTS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply", "donotreply")


def machine_kind(message: Message, sender: str, envelope_from: str) -> str | None:
    """A short reason naming what kind of machine mail this is, or None for a person's mail."""
    for rule in (_report, _auto_submitted, _precedence, _list_mail, _null_sender, _daemon_sender, _auto_headers):
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


def _auto_submitted(message: Message, sender: str, envelope_from: str) -> str | None:
    value = _get(message, "Auto-Submitted")
    if value and value != "no":
        return f"auto-reply (Auto-Submitted: {value[:40]})"
    return None


def _precedence(message: Message, sender: str, envelope_from: str) -> str | None:
    value = _get(message, "Precedence")
    if value in ("bulk", "junk", "list", "auto_reply"):
        return f"bulk mail (Precedence: {value})"
    return None


def _list_mail(message: Message, sender: str, envelope_from: str) -> str | None:
    if _get(message, "List-Id") or _get(message, "List-Unsubscribe"):
        return "mailing list"
    return None


def _null_sender(message: Message, sender: str, envelope_from: str) -> str | None:
    if envelope_from.strip() in ("", "<>"):
        return "null envelope sender (delivery notification)"
    return None


def _daemon_sender(message: Message, sender: str, envelope_from: str) -> str | None:
    local = sender.partition("@")[0]
    if local.startswith(_MACHINE_LOCALPARTS):
        return f"machine sender ({local})"
    return None


def _auto_headers(message: Message, sender: str, envelope_from: str) -> str | None:
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        value = _get(message, name)
        if value and (name != "X-Auto-Response-Suppress" or "oof" in value or value == "all"):
            return f"auto-reply ({name})"
    return None
