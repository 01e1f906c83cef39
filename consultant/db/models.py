"""The rows every step of the pipeline reads and writes. Each has a status; the database is the truth."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consultant.db.base import Base, UTCDateTime, utcnow

ID = BigInteger().with_variant(Integer, "sqlite")


class InboundStatus:
    RECEIVED = "received"
    HELD = "held"  # kept for later: over the sender's quota or rate limit; released by registration, renewal or staff
    PROCESSED = "processed"
    DUPLICATE = "duplicate"
    MACHINE = "machine"
    QUARANTINED = "quarantined"
    FINAL = frozenset({PROCESSED, DUPLICATE, MACHINE, QUARANTINED})
    ALL = (RECEIVED, HELD, PROCESSED, DUPLICATE, MACHINE, QUARANTINED)


class OutboundStatus:
    PENDING = "pending"
    SENDING = "sending"
    RETRY = "retry"
    SENT = "sent"
    FAILED = "failed"
    FINAL = frozenset({SENT, FAILED})


class ConsultationStatus:
    OPEN = "open"
    ANSWERED = "answered"
    AWAITING_REVIEW = "awaiting_review"
    CLOSED = "closed"  # a reviewer closed it without a reply
    HELD = "held"  # its question waits for quota


class Organisation(Base):
    """A practice or company: its senders share threads (and, with plans, a quota)."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    domains: Mapped[list[str]] = mapped_column(JSON, default=list)  # every address at these domains belongs
    plan: Mapped[str | None] = mapped_column(String(64))  # a shared plan: its members draw on one quota
    billing_day: Mapped[int | None] = mapped_column(Integer)  # monthly plans renew on this day (else the plan's)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Sender(Base):
    __tablename__ = "sender"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # our mail to this address came back as undeliverable (the last failure report)
    bouncing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bounce_reason: Mapped[str | None] = mapped_column(Text)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)  # explicit member
    plan: Mapped[str | None] = mapped_column(String(64))  # None: the default plan of config/plans.toml
    billing_day: Mapped[int | None] = mapped_column(Integer)
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InboundEmail(Base):
    """A message exactly as it arrived, stored before the receiver says yes."""

    __tablename__ = "inbound_email"
    __table_args__ = (UniqueConstraint("message_id_key", "sha256", name="uq_inbound_email_message"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    channel: Mapped[str] = mapped_column(String(16))
    peer: Mapped[str | None] = mapped_column(String(200))
    helo: Mapped[str | None] = mapped_column(String(255))
    mail_from: Mapped[str] = mapped_column(String(320))
    rcpt_to: Mapped[list[str]] = mapped_column(JSON)
    message_id: Mapped[str | None] = mapped_column(String(998))
    message_id_key: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default=InboundStatus.RECEIVED, index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("sender.id"), index=True)  # once processing knows it


class Consultation(Base):
    __tablename__ = "consultation"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("sender.id"), index=True)
    subject: Mapped[str] = mapped_column(String(998))
    status: Mapped[str] = mapped_column(String(24), default=ConsultationStatus.OPEN, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # the reviewer working on it (claimed or assigned); None: in the shared queue
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    sender: Mapped[Sender] = relationship()
    assignee: Mapped[StaffUser | None] = relationship()
    questions: Mapped[list[Question]] = relationship(back_populates="consultation", order_by="Question.id")


class Question(Base):
    """One inbound message that asks something, within a consultation."""

    __tablename__ = "question"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    inbound_id: Mapped[int] = mapped_column(ForeignKey("inbound_email.id"), unique=True)
    message_id_key: Mapped[str] = mapped_column(String(255), unique=True)
    references: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(String(998))
    text: Mapped[str] = mapped_column(Text)
    codes: Mapped[list[dict]] = mapped_column(JSON, default=list)
    facts: Mapped[dict] = mapped_column(JSON, default=dict)
    route: Mapped[str | None] = mapped_column(String(16))
    route_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    # possible patient identifiers, as offsets only: {"subject": [{kind, start, end}], "text": [...]}
    phi: Mapped[dict] = mapped_column(JSON, default=dict)
    # each question the message asks: offsets, codes, intents with confidence, route and reasons
    asks: Mapped[list[dict]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    consultation: Mapped[Consultation] = relationship(back_populates="questions")
    inbound: Mapped[InboundEmail] = relationship()


class DraftStatus:
    SENT = "sent"  # answered at once: the draft went out as written
    PENDING_REVIEW = "pending_review"  # waiting for a reviewer
    APPROVED = "approved"  # a reviewer approved (perhaps edited) it; the reply is queued
    REJECTED = "rejected"  # a reviewer answered otherwise or closed it
    FINAL = frozenset({SENT, APPROVED, REJECTED})


class Draft(Base):
    """The answer prepared for a question: sent at once, or the reviewer's starting point."""

    __tablename__ = "draft"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), unique=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    status: Mapped[str] = mapped_column(String(24), index=True)
    origin: Mapped[str] = mapped_column(String(16), default="auto")  # who wrote the current text
    body_text: Mapped[str] = mapped_column(Text)  # what the reviewer edits; for a sent draft, what went out
    sections: Mapped[list[dict]] = mapped_column(JSON, default=list)  # per question: kinds, route, facts shown
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    # codes named in the draft that the catalog does not have on the date, facts without a source
    grounding_problems: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    reviewed_by: Mapped[str | None] = mapped_column(String(320))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboundEmail(Base):
    """The outbox: one row per message we send, unique per consultation event, rendered before sending."""

    __tablename__ = "outbound_email"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("question.id"))
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(998), index=True)
    mail_from: Mapped[str] = mapped_column(String(320))
    rcpt_to: Mapped[list[str]] = mapped_column(JSON)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default=OutboundStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a failure report came back for it
    bounce_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_outbound_email_status_next", "status", "next_attempt_at"),)


class UsageEvent(Base):
    """Append-only ledger: one row per thing that counts."""

    __tablename__ = "usage_event"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("sender.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultation.id"))
    ref_key: Mapped[str] = mapped_column(String(100), unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_usage_event_sender_kind_at", "sender_id", "kind", "at"),)


class RegistrationToken(Base):
    """A one-time confirmation sent to an address; only its hash is kept. Single use, with an expiry."""

    __tablename__ = "registration_token"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("sender.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ImapCheckpoint(Base):
    """How far the IMAP poller got in one mailbox: every UID up to last_uid is stored and put away.

    Valid only while the server keeps the same UIDVALIDITY for the mailbox."""

    __tablename__ = "imap_checkpoint"
    __table_args__ = (UniqueConstraint("account", "mailbox", name="uq_imap_checkpoint_account"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    account: Mapped[str] = mapped_column(String(400))
    mailbox: Mapped[str] = mapped_column(String(400))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class StaffRole:
    REVIEWER = "reviewer"
    ADMIN = "admin"
    ALL = (REVIEWER, ADMIN)


class StaffUser(Base):
    """A person who signs in to the staff web app."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id, in its PHC string form
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffSession(Base):
    """A signed-in browser (idle timeout) or a script's API token; only the token's hash is stored."""

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # browser, api
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    name: Mapped[str | None] = mapped_column(String(100))  # an API token's name, e.g. "nightly export"
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # API tokens: refused from then on
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # API tokens: None until first used

    user: Mapped[StaffUser] = relationship()


class SignInCounter(Base):
    """Sign-in attempts per address in the current window, counted under a row lock before any password check
    (a conditional UPDATE), so that parallel guesses cannot all pass the limit."""

    __tablename__ = "sign_in_counter"

    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """Append-only: who did what to which row, and when. Details hold ids and outcomes, never mail text."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # staff email, or cli:<OS user> for a command; None: an anonymous attempt (a failed sign-in)
    actor: Mapped[str | None] = mapped_column(String(320), index=True)
    action: Mapped[str] = mapped_column(String(48), index=True)
    target: Mapped[str | None] = mapped_column(String(100))  # e.g. consultation:12, outbound:7
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class ConsultationNote(Base):
    """An internal note between staff; never sent."""

    __tablename__ = "consultation_note"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[StaffUser] = relationship()
