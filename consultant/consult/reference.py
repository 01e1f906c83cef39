"""Consultation references as people see them: [CC-000042] in subjects."""

from __future__ import annotations

import re


def format_reference(prefix: str, consultation_id: int) -> str:
    return f"{prefix}-{consultation_id:06d}"


def subject_tag(prefix: str, consultation_id: int) -> str:
    return f"[{format_reference(prefix, consultation_id)}]"


def find_reference(prefix: str, subject: str) -> int | None:
    match = re.search(rf"\[{re.escape(prefix)}-(\d{{1,12}})\]", subject, re.IGNORECASE)
    return int(match.group(1)) if match else None


def neutral_subject(prefix: str, consultation_id: int) -> str:
    """The subject of every automatic reply: it never repeats the sender's subject, which may name a patient
    the screen did not recognise. Threading goes by In-Reply-To and References (and this tag)."""
    return f"Your coding question {subject_tag(prefix, consultation_id)}"


def reply_subject(prefix: str, consultation_id: int, original: str) -> str:
    """'Re: <original> [CC-000042]', without stacking Re: or tags (a reviewer's reply)."""
    tag = subject_tag(prefix, consultation_id)
    base = re.sub(rf"\s*\[{re.escape(prefix)}-\d+\]", "", original, flags=re.IGNORECASE).strip()
    base = re.sub(r"^((re|aw|sv|fwd?)\s*:\s*)+", "", base, flags=re.IGNORECASE).strip()
    return f"Re: {base} {tag}" if base else neutral_subject(prefix, consultation_id)
