"""send: take one outbox row, hand it to the relay, record the outcome. Retries follow an explicit
schedule (settings.send_retry_delays); after the last one the row is failed, visibly."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, or_, update
from sqlalchemy.orm import Session

from consultant.db.base import utcnow
from consultant.db.models import OutboundEmail, OutboundStatus
from consultant.db.session import in_transaction
from consultant.mail.senders import MailSender, PermanentSendError, TemporarySendError
from consultant.settings import Settings
from consultant.usage import ledger

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    status: str
    retry_in: float | None = None


def claimable(now, lease_cutoff):
    return or_(
        OutboundEmail.status == OutboundStatus.PENDING,
        and_(OutboundEmail.status == OutboundStatus.RETRY, OutboundEmail.next_attempt_at <= now),
        and_(OutboundEmail.status == OutboundStatus.SENDING, OutboundEmail.claimed_at < lease_cutoff),
    )


def deliver(settings: Settings, outbound_id: int, sender: MailSender) -> Delivery:
    """Claim the row (unless it is sent, failed, not due, or held by someone else) and send it."""
    claimed = _claim(settings, outbound_id)
    if claimed is None:
        return Delivery("skipped")
    return deliver_claimed(settings, outbound_id, *claimed, sender=sender)


def deliver_claimed(
    settings: Settings, outbound_id: int, mail_from: str, rcpt_to: list[str], raw: bytes, attempts: int,
    *, sender: MailSender,
) -> Delivery:
    """Send a row this process has claimed, and record the outcome."""
    try:
        sender.send(mail_from, rcpt_to, raw)
    except TemporarySendError as exc:
        return _record_failure(settings, outbound_id, attempts, str(exc), permanent=False)
    except PermanentSendError as exc:
        return _record_failure(settings, outbound_id, attempts, str(exc), permanent=True)
    in_transaction(lambda session: _mark_sent(session, outbound_id))
    log.info("outbound sent outbound=%d size=%d attempts=%d", outbound_id, len(raw), attempts)
    return Delivery(OutboundStatus.SENT)


def _mark_sent(session: Session, outbound_id: int) -> None:
    consultation_id = session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id == outbound_id)
        .values(status=OutboundStatus.SENT, sent_at=utcnow(), last_error=None)
        .returning(OutboundEmail.consultation_id)
    ).scalar_one()
    ledger.record_for_consultation(session, consultation_id, ledger.REPLY, f"reply:{outbound_id}")


def _claim(settings: Settings, outbound_id: int) -> tuple[str, list[str], bytes, int] | None:
    """Mark the row as being sent by us, unless it is sent, failed, or someone else holds it."""
    now = utcnow()

    def claim(session: Session):
        return session.execute(
            update(OutboundEmail)
            .where(OutboundEmail.id == outbound_id, claimable(now, now - timedelta(seconds=settings.sweep_after)))
            .values(status=OutboundStatus.SENDING, claimed_at=now, attempts=OutboundEmail.attempts + 1)
            .returning(OutboundEmail.mail_from, OutboundEmail.rcpt_to, OutboundEmail.raw, OutboundEmail.attempts)
        ).one_or_none()

    row = in_transaction(claim)
    return None if row is None else (row.mail_from, list(row.rcpt_to), row.raw, row.attempts)


def _record_failure(settings: Settings, outbound_id: int, attempts: int, error: str, permanent: bool) -> Delivery:
    delays = settings.send_retry_delays
    give_up = permanent or attempts > len(delays)
    if give_up:
        values = {"status": OutboundStatus.FAILED, "next_attempt_at": None}
    else:
        values = {"status": OutboundStatus.RETRY,
                  "next_attempt_at": utcnow() + timedelta(seconds=delays[attempts - 1])}
    in_transaction(lambda session: session.execute(
        update(OutboundEmail).where(OutboundEmail.id == outbound_id).values(last_error=error, **values)
    ))
    log.warning("outbound not sent outbound=%d attempts=%d final=%s error=%s", outbound_id, attempts, give_up, error)
    if give_up:
        return Delivery(OutboundStatus.FAILED)
    return Delivery(OutboundStatus.RETRY, retry_in=float(delays[attempts - 1]))
