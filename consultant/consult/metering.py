"""What the pipeline does with a message metering has decided on: hold it (kept as a question marked
held, with at most one notice per sender and period), or carry out an account command (REGISTER, a
confirmation code). Replies here never quote the message."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from consultant.consult import emails
from consultant.consult.intake import Findings, take_in
from consultant.consult.reference import format_reference, reply_subject
from consultant.consult.replies import QueuedReply, queue_reply
from consultant.db.base import utcnow
from consultant.db.models import ConsultationStatus, OutboundEmail
from consultant.mail.parse import ParsedEmail
from consultant.settings import Settings
from consultant.usage import ledger, quota, registration
from consultant.usage.admission import REGISTER, Admission, plans_of
from consultant.usage.release import release_after_registration

HELD = "held"
ACCOUNT = "account"


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
        name, notice_key, context = _over_quota(session, settings, admission, taken.consultation_id, parsed, phi)
    else:
        name = "rate_limited"
        notice_key = f"rate_limited:s{admission.sender_id}:{utcnow():%Y-%m-%d}"
        context = emails.rate_limited(_subject(settings, taken.consultation_id, parsed, phi), settings.service_name,
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
    subject = _subject(settings, taken.consultation_id, parsed, phi)
    details: dict = {}
    if admission.command == REGISTER:
        if admission.plan != plans.default_plan:
            state = "already"
        else:
            state = "token_sent"
            token = registration.new_token(session, admission.sender_id, settings.registration_token_hours)
            details = {"token": token, "confirm_url": registration.confirmation_url(settings.web_base_url, token),
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


def _over_quota(session: Session, settings: Settings, admission: Admission, consultation_id: int,
                parsed: ParsedEmail, phi: dict) -> tuple[str, str, dict]:
    plans = plans_of(settings)
    current = admission.quota or quota.quota_for(session, admission.sender_id, plans)
    period = f"{current.period_start:%Y-%m-%d}" if current.period_start else "lifetime"
    can_register = admission.plan == plans.default_plan and plans.registered_plan != plans.default_plan
    registered = plans.get(plans.registered_plan).consultations or 0
    context = emails.over_quota(
        format_reference(settings.reference_prefix, consultation_id),
        _subject(settings, consultation_id, parsed, phi), settings.service_name, current.line(), can_register,
        max(0, registered - (current.allowance or 0)), f"{settings.web_base_url.rstrip('/')}/register",
        f"{current.period_end:%Y-%m-%d}" if current.period_end else None)
    return "over_quota", f"over_quota:s{admission.sender_id}:{current.plan}:{period}", context


def _subject(settings: Settings, consultation_id: int, parsed: ParsedEmail, phi: dict) -> str:
    # a subject that names a patient is not repeated in our reply
    return reply_subject(settings.reference_prefix, consultation_id, "" if phi["subject"] else parsed.subject)
