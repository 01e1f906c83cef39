"""Read back the reply we sent to a given message (for `consultant ask`)."""

from __future__ import annotations

import email
import time
from email import policy

from sqlalchemy import select

from consultant.db.models import OutboundEmail, OutboundStatus
from consultant.db.session import session_scope


def sent_reply_text(in_reply_to: str) -> str | None:
    with session_scope() as session:
        raw = session.scalar(
            select(OutboundEmail.raw).where(
                OutboundEmail.in_reply_to == in_reply_to, OutboundEmail.status == OutboundStatus.SENT
            )
        )
    if raw is None:
        return None
    message = email.message_from_bytes(raw, policy=policy.default)
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    return f"Subject: {message['Subject']}\n\n{text}"


def wait_for_reply(in_reply_to: str, timeout: float, interval: float = 0.2) -> str | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = sent_reply_text(in_reply_to)
        if reply is not None:
            return reply
        time.sleep(interval)
    return None
