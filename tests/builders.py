"""Build test emails as the bytes a client would send over SMTP (CRLF), headers written verbatim
so that hostile values (encoded CR/LF, odd folding) reach the service as they would in real life."""

from __future__ import annotations

from itertools import count

_ids = count(1)


def question_email(
    text: str = "What is ICD-10-CM code K76.0?",
    *,
    sender: str = "coder@example.org",
    to: str = "ask@consultant.localhost",
    subject: str = "Code question",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    lines = [
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        f"Message-ID: {message_id or f'<q{next(_ids)}@example.org>'}",
        "Date: Tue, 24 Nov 2026 09:00:00 +0000",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: 8bit",
    ]
    if in_reply_to:
        lines.append(f"In-Reply-To: {in_reply_to}")
    if references:
        lines.append(f"References: {references}")
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    body = "\r\n".join(text.splitlines())
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode("utf-8")
