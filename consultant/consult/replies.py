"""Approved content -> an OutboundEmail row: rendered, threaded, unique per consultation event."""

from __future__ import annotations

from sqlalchemy.orm import Session

from consultant.db.models import Consultation, OutboundEmail, Question
from consultant.mail.compose import compose, new_message_id, safe_address
from consultant.mail.render import render_email
from consultant.settings import Settings


def queue_reply(
    session: Session,
    settings: Settings,
    *,
    name: str,
    context: dict,
    consultation: Consultation,
    question: Question,
    to_address: str,
    parent: str | None,
    auto_submitted: bool = True,
) -> OutboundEmail:
    """Create the outbox row for `name` answering `question` (whose Message-ID is `parent`).

    Its key is unique per question and kind, so the same reply can never be queued twice. The
    caller decides how it leaves: delivered right after commit, or a deferred send job."""
    message_id = new_message_id(settings.mail_domain)
    references = [*reversed(question.references), parent] if parent else list(reversed(question.references))
    raw = compose(
        render_email(settings.templates_dir, name, context),
        from_name=settings.service_name,
        from_address=settings.address,
        to_address=to_address,
        message_id=message_id,
        in_reply_to=parent,
        references=references,
        auto_submitted=auto_submitted,
    )
    row = OutboundEmail(
        key=f"{name}:q{question.id}",
        kind=name,
        consultation_id=consultation.id,
        question_id=question.id,
        message_id=message_id,
        in_reply_to=parent,
        mail_from=settings.address,
        rcpt_to=[safe_address(to_address)],
        raw=raw,
    )
    session.add(row)
    session.flush()
    return row
