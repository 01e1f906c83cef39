"""What the pipeline does with mail that screening found is not a coding question (consult/screen/topic.py).

- spam: recorded on the inbound row with the reason; no question, no reply, no charge.
- not_coding and emergency: kept as a question (staff see it and the reasons), one fixed reply (the
  not_coding email; for an emergency with the line to call emergency services first), and nothing charged
  or counted against the plan: the ledger gets no event. The daily cap on automatic replies still holds."""

from __future__ import annotations

from sqlalchemy.orm import Session

from consultant.consult import emails, metering
from consultant.consult.intake import Findings, take_in
from consultant.consult.metering import Handled
from consultant.consult.reference import format_reference, neutral_subject
from consultant.consult.replies import queue_reply
from consultant.consult.screen.topic import EMERGENCY, Topic
from consultant.db.models import ConsultationStatus
from consultant.mail.parse import ParsedEmail
from consultant.settings import Settings
from consultant.usage.admission import Admission

EMAIL = "not_coding"  # the template folder and outbox kind of the fixed reply


def record_spam(topic: Topic) -> Handled:
    return Handled(f"{topic.summary()}; recorded, not answered, not charged", None)


def reply_not_coding(session: Session, settings: Settings, inbound_id: int, key: str, parsed: ParsedEmail,
                     admission: Admission, thread: int | None, topic: Topic, phi: dict, recent_replies: int,
                     claim: bool) -> Handled:
    """Take the message in as an uncharged question and queue the one fixed reply (unless capped)."""
    trusted = admission.authenticity.trusted
    joins = thread is not None and trusted
    findings = Findings(codes=[], facts={}, route=topic.kind, reasons=list(topic.reasons),
                        consultation_status=None if joins else ConsultationStatus.ANSWERED, phi=phi, asks=[])
    taken = take_in(session, inbound_id, key, parsed, findings, settings.reference_prefix,
                    sender_id=admission.sender_id, thread=thread if trusted else None, join=trusted)
    emergency = topic.kind == EMERGENCY
    done = "fixed reply with the emergency line" if emergency else "fixed reply"
    if recent_replies >= settings.auto_reply_cap_per_day:
        return Handled(f"{topic.summary()}; no reply (automatic reply cap reached), not charged", None)
    context = emails.not_coding(format_reference(settings.reference_prefix, taken.consultation_id),
                                neutral_subject(settings.reference_prefix, taken.consultation_id),
                                settings.service_name, emergency, metering.quota_line(session, settings, admission))
    reply = queue_reply(session, settings, name=EMAIL, context=context, consultation_id=taken.consultation_id,
                        question_id=taken.question_id, to_address=parsed.sender, parent=parsed.message_id,
                        references=list(reversed(parsed.thread_ids)), claim=claim)
    return Handled(f"{topic.summary()}; {done}, not charged", reply)
