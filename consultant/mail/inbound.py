"""Store a message exactly as received. The only thing read from it here is its Message-ID."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant import jobs
from consultant.db.base import utcnow
from consultant.db.models import InboundEmail, InboundStatus
from consultant.db.upsert import insert_for

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Envelope:
    mail_from: str
    rcpt_to: tuple[str, ...]
    channel: str = "smtp"
    peer: str | None = None
    helo: str | None = None


@dataclass(frozen=True)
class Stored:
    inbound_id: int
    created: bool


def header_message_id(raw: bytes) -> str | None:
    end = _HEADER_END.search(raw)
    head = raw[: end.start()] if end else raw[:65536]
    match = _MESSAGE_ID.search(head)
    if not match:
        return None
    value = re.sub(rb"\s+", b"", match.group(1)).decode("ascii", "replace")
    bracketed = re.search(r"<[^<>]+>", value)  # "<id@host> (comment)" -> "<id@host>"
    return (bracketed.group(0) if bracketed else value)[:998] or None


def message_id_key(message_id: str | None, digest: str) -> str:
    if not message_id:
        return f"sha256:{digest}"
    key = message_id.strip("<>")
    return key if len(key) <= 255 else "long:" + hashlib.sha256(key.encode()).hexdigest()


def store_raw(session: Session, raw: bytes, envelope: Envelope) -> Stored:
    """Insert the message (or find the identical one stored before) and queue its processing.

    Commits. An identical redelivery (same Message-ID and bytes) returns the stored row."""
    digest = hashlib.sha256(raw).hexdigest()
    message_id = header_message_id(raw)
    key = message_id_key(message_id, digest)
    now = utcnow()
    inserted = session.execute(
        insert_for(session)(InboundEmail)
        .values(
            channel=envelope.channel,
            peer=envelope.peer,
            helo=envelope.helo,
            mail_from=envelope.mail_from,
            rcpt_to=list(envelope.rcpt_to),
            message_id=message_id,
            message_id_key=key,
            sha256=digest,
            size=len(raw),
            raw=raw,
            status=InboundStatus.RECEIVED,
            attempts=0,
            received_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["message_id_key", "sha256"])
        .returning(InboundEmail.id)
    ).scalar_one_or_none()
    if inserted is None:
        session.rollback()
        return Stored(_find(session, key, digest), created=False)
    jobs.defer(session, jobs.PROCESS_INBOUND, inserted)
    session.commit()
    return Stored(inserted, created=True)


def _find(session: Session, key: str, digest: str) -> int | None:
    return session.scalar(
        select(InboundEmail.id).where(InboundEmail.message_id_key == key, InboundEmail.sha256 == digest)
    )
