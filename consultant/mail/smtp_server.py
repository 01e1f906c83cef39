"""The SMTP edge: refuse foreign recipients and oversize mail, store, say 250, wake a worker.

Nothing is parsed here; a message is only acknowledged once its bytes are committed."""

from __future__ import annotations

import asyncio
import logging
from email.utils import parseaddr

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope as SmtpEnvelope, Session as SmtpSession

from consultant.db.session import in_transaction
from consultant.mail.inbound import Envelope, store_raw
from consultant.settings import Settings

log = logging.getLogger(__name__)


class ConsultantHandler:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def handle_RCPT(
        self, server: SMTP, session: SmtpSession, envelope: SmtpEnvelope, address: str, rcpt_options: list[str]
    ) -> str:
        if parseaddr(address)[1].lower() not in self.settings.accepted_addresses:
            log.info("smtp rcpt refused peer=%s", _peer(session))
            return "550 5.1.1 No such mailbox here; this server does not relay"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: SmtpEnvelope) -> str:
        raw = envelope.original_content or b""
        if len(raw) > self.settings.max_message_bytes:
            return "552 5.3.4 Message too big for this service"
        stored_envelope = Envelope(
            mail_from=envelope.mail_from or "",
            rcpt_to=tuple(envelope.rcpt_tos),
            channel="smtp",
            peer=_peer(session),
            helo=session.host_name,
        )
        try:
            stored = await asyncio.get_running_loop().run_in_executor(None, self._store, raw, stored_envelope)
        except Exception as exc:
            log.error("smtp store failed size=%d error=%s", len(raw), type(exc).__name__)
            return "451 4.3.0 Temporary storage failure; please try again later"
        log.info("smtp stored inbound=%d size=%d new=%s", stored.inbound_id, len(raw), stored.created)
        return "250 2.0.0 Message accepted"

    @staticmethod
    def _store(raw: bytes, envelope: Envelope):
        return in_transaction(lambda session: store_raw(session, raw, envelope))


def _peer(session: SmtpSession) -> str | None:
    peer = session.peer
    if isinstance(peer, tuple):
        return f"{peer[0]}:{peer[1]}"
    return str(peer) if peer else None


def make_controller(settings: Settings) -> Controller:
    host, port = settings.smtp_host_port
    return Controller(
        ConsultantHandler(settings),
        hostname=host,
        port=port,
        data_size_limit=settings.max_message_bytes,
        server_hostname=settings.mail_domain,
        ident="consultant",
        decode_data=False,
    )
