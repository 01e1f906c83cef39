"""What the pipeline does with a message metering has decided on: hold it (kept as a question marked
held, with at most one notice per sender and period), or carry out an account command (REGISTER, a
confirmation code). Replies here never quote the message."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from consultant.consult import emails
from consultant.consult.intake import Findings, take_in
from consultant.consult.reference import format_reference, neutral_subject
from consultant.consult.replies import QueuedReply, queue_reply
from consultant.db.base import utcnow
from consultant import jobs
from consultant.db.models import Consultation, ConsultationStatus, OutboundEmail, Sender
from consultant.mail.parse import ParsedEmail
from consultant.settings import Settings
from consultant.usage import ledger, quota, registration
from consultant.usage.admission import REGISTER, Admission, plans_of
from consultant.usage.release import release_after_registration

HELD = "held"
ACCOUNT = "account"
WEB_REGISTRATION_MAILS_PER_HOUR = 3
_WEB_KEY = "registration:web:s{sender_id}:"


@dataclass(frozen=True)
class Handled:
    reason: str
    reply: QueuedReply | None


def hold(session: Session, settings: Settings, inbound_id: int, key: str, parsed: ParsedEmail,
         admission: Admission, thread: int | None, phi: dict, claim: bool) -> Handled:
    """Keep the message as a held question; send the notice unless this period's went out already."""
    trusted = admission.authenticity.trusted
    findings = Findings(codes=[], facts={}, route=HELD, reasons=[admission.hold or HELD],
                        consultation_status=ConsultationStatus.HELD if thread is None or not trusted else None,
                        phi=phi, asks=[])
    taken = take_in(session, inbound_id, key, parsed, findings, settings.reference_prefix,
                    sender_id=admission.sender_id, thread=thread if trusted else None, join=trusted)
    if admission.held_for_quota:
        name, notice_key, context = _over_quota(session, settings, admission, taken.consultation_id)
    else:
        name = "rate_limited"
        notice_key = f"rate_limited:s{admission.sender_id}:{utcnow():%Y-%m-%d}"
        context = emails.rate_limited(_subject(settings, taken.consultation_id), settings.service_name,
                                      settings.sender_messages_per_hour)
    if session.scalar(select(exists().where(OutboundEmail.key == notice_key))):
        return Handled(f"{admission.hold}; notice sent before", None)
    reply = queue_reply(session, settings, name=name, context=context, consultation_id=taken.consultation_id,
                        question_id=taken.question_id, to_address=parsed.sender, parent=parsed.message_id,
                        references=list(reversed(parsed.thread_ids)), claim=claim, key=notice_key)
    return Handled(f"{admission.hold}; notice sent", reply)


def account_command(session: Session, settings: Settings, inbound_id: int, key: str, parsed: ParsedEmail,
                    admission: Admission, thread: int | None, phi: dict, claim: bool) -> Handled:
    plans = plans_of(settings)
    findings = Findings(codes=[], facts={}, route=ACCOUNT, reasons=[f"account: {admission.command}"],
                        consultation_status=None, phi=phi, asks=[])
    taken = take_in(session, inbound_id, key, parsed, findings, settings.reference_prefix,
                    sender_id=admission.sender_id, thread=thread)
    subject = _subject(settings, taken.consultation_id)
    details: dict = {}
    if admission.command == REGISTER:
        if admission.plan != plans.default_plan:
            state = "already"
        else:
            state = "token_sent"
            token = registration.new_token(session, admission.sender_id, settings.registration_token_hours)
            details = {"token": token, "confirm_url": registration.confirmation_url(settings.web_url, token),
                       "valid_hours": settings.registration_token_hours}
    else:
        try:
            registration.redeem(session, admission.token or "", plans, sender_id=admission.sender_id)
            release_after_registration(session, settings, admission.sender_id)
            state = "confirmed"
        except registration.RegistrationError as exc:
            state, details = "refused", {"problem": str(exc)}
    line = quota.quota_for(session, admission.sender_id, plans).line()
    context = emails.registration(subject, settings.service_name, state, line, **details)
    ledger.record(session, admission.sender_id, ledger.ACCOUNT, f"account:q{taken.question_id}",
                  taken.consultation_id)
    reply = queue_reply(session, settings, name="registration", context=context,
                        consultation_id=taken.consultation_id, question_id=taken.question_id,
                        to_address=parsed.sender, parent=parsed.message_id,
                        references=list(reversed(parsed.thread_ids)), claim=claim)
    return Handled(f"account: registration {state}", reply)


def charge_for(session: Session, admission: Admission, question_id: int, consultation_id: int,
               joined: bool) -> None:
    """Record the message in the ledger: charged when admission says so, otherwise only counted."""
    if admission.charge:
        ref = f"q{question_id}" if joined else f"c{consultation_id}"
        quota.charge(session, admission.sender_id, ref, consultation_id)
    kind = ledger.QUESTION if admission.authenticity.trusted else ledger.UNVERIFIED
    ledger.record(session, admission.sender_id, kind, f"{kind}:{question_id}", consultation_id)


def quota_line(session: Session, settings: Settings, admission: Admission) -> str | None:
    """The remaining quota after this message; nothing at all when the From cannot be believed."""
    if not admission.authenticity.trusted:
        return None
    return quota.quota_for(session, admission.sender_id, plans_of(settings)).line()


def _over_quota(session: Session, settings: Settings, admission: Admission,
                consultation_id: int) -> tuple[str, str, dict]:
    plans = plans_of(settings)
    current = admission.quota or quota.quota_for(session, admission.sender_id, plans)
    period = f"{current.period_start:%Y-%m-%d}" if current.period_start else "lifetime"
    can_register = admission.plan == plans.default_plan and plans.registered_plan != plans.default_plan
    registered = plans.get(plans.registered_plan).consultations or 0
    context = emails.over_quota(
        format_reference(settings.reference_prefix, consultation_id),
        _subject(settings, consultation_id), settings.service_name, current.line(), can_register,
        max(0, registered - (current.allowance or 0)), f"{settings.web_url}/register",
        f"{current.period_end:%Y-%m-%d}" if current.period_end else None)
    return "over_quota", f"over_quota:s{admission.sender_id}:{current.plan}:{period}", context


def _subject(settings: Settings, consultation_id: int) -> str:
    return neutral_subject(settings.reference_prefix, consultation_id)


@dataclass(frozen=True)
class RegistrationRequest:
    """What a web registration request did. The web page shows the same text for every outcome, so a visitor
    learns nothing about the address; the owner of the address learns the rest by email."""

    outcome: str  # token_sent, already (mailed: nothing to confirm), unknown, too_many (nothing mailed)
    outbound_id: int | None = None


def request_registration(session: Session, settings: Settings, address: str) -> RegistrationRequest:
    """Mail a one-time confirmation code to a guest who asks on the web app (through the outbox, sent after
    commit); a sender past the default plan is told by email there is nothing to confirm. Only addresses that
    have written to us get mail, at most WEB_REGISTRATION_MAILS_PER_HOUR an hour."""
    plans = plans_of(settings)
    sender = session.execute(select(Sender.id, Sender.address, Sender.plan)
                             .where(Sender.address == plans.normalise(address)).with_for_update()).one_or_none()
    consultation_id = None if sender is None else session.scalar(
        select(Consultation.id).where(Consultation.sender_id == sender.id).order_by(Consultation.id.desc()).limit(1))
    if sender is None or consultation_id is None:
        return RegistrationRequest("unknown")
    key_prefix = _WEB_KEY.format(sender_id=sender.id)
    if _web_mails_last_hour(session, key_prefix) >= WEB_REGISTRATION_MAILS_PER_HOUR:
        return RegistrationRequest("too_many")
    subject = _subject(settings, consultation_id)
    details: dict = {}
    if sender.plan in (None, plans.default_plan):
        state = "token_sent"
        token = registration.new_token(session, sender.id, settings.registration_token_hours)
        details = {"token": token, "confirm_url": registration.confirmation_url(settings.web_url, token),
                   "valid_hours": settings.registration_token_hours}
    else:
        state = "already"
    line = quota.quota_for(session, sender.id, plans).line()
    context = emails.registration(subject, settings.service_name, state, line, **details)
    reply = queue_reply(session, settings, name="registration", context=context, consultation_id=consultation_id,
                        question_id=None, to_address=sender.address, parent=None, references=[],
                        key=f"{key_prefix}{secrets.token_hex(8)}")
    jobs.defer(session, jobs.SEND_OUTBOUND, reply.outbound_id)
    return RegistrationRequest(state, reply.outbound_id)


def _web_mails_last_hour(session: Session, key_prefix: str) -> int:
    return session.scalar(select(func.count()).select_from(OutboundEmail).where(
        OutboundEmail.key.startswith(key_prefix, autoescape=True),
        OutboundEmail.created_at > utcnow() - timedelta(hours=1))) or 0
