"""Approved content -> an OutboundEmail row: rendered, threaded, unique per consultation event."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert
from sqlalchemy.orm import Session

from consultant.db.base import utcnow
from consultant.db.models import OutboundEmail, OutboundStatus
from consultant.mail.compose import compose, new_message_id, safe_address
from consultant.mail.render import render_email
from consultant.settings import Settings


@dataclass(frozen=True)
class QueuedReply:
    """An outbox row and, when the caller claimed it, what it needs to send it right away."""

    outbound_id: int
    mail_from: str
    rcpt_to: list[str]
    raw: bytes
    attempts: int


def queue_reply(
    session: Session,
    settings: Settings,
    *,
    name: str,
    context: dict,
    consultation_id: int,
    question_id: int | None,
    to_address: str,
    parent: str | None,
    references: list[str],
    claim: bool = False,
    auto_submitted: bool = True,
    key: str | None = None,
) -> QueuedReply:
    """Create the outbox row for reply `name` to the question whose Message-ID is `parent`.

    Its key is unique per question and kind (or the `key` given, e.g. once per sender and period), so the
    same reply can never be queued twice. With
    `claim`, the row is created already claimed (status sending, first attempt) by a caller that
    sends it right after commit; otherwise a send job or the sweeper picks it up."""
    message_id = new_message_id(settings.mail_domain)
    chain = [*references, parent] if parent else list(references)
    raw = compose(
        render_email(settings.templates_dir, name, context),
        from_name=settings.service_name,
        from_address=settings.address,
        to_address=to_address,
        message_id=message_id,
        in_reply_to=parent,
        references=chain,
        auto_submitted=auto_submitted,
    )
    rcpt_to = [safe_address(to_address)]
    now = utcnow()
    attempts = 1 if claim else 0
    outbound_id = session.execute(
        insert(OutboundEmail).values(
            key=key or f"{name}:q{question_id}",
            kind=name,
            consultation_id=consultation_id,
            question_id=question_id,
            message_id=message_id,
            in_reply_to=parent,
            mail_from=settings.address,
            rcpt_to=rcpt_to,
            raw=raw,
            status=OutboundStatus.SENDING if claim else OutboundStatus.PENDING,
            claimed_at=now if claim else None,
            attempts=attempts,
            created_at=now,
        ).returning(OutboundEmail.id)
    ).scalar_one()
    return QueuedReply(outbound_id, settings.address, rcpt_to, raw, attempts)
