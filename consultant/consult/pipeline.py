"""process_inbound: one stored message through parse -> guards -> admit -> topic (spam, emergency, not a
coding question: set apart, never charged) -> screen -> understand -> enrich -> route -> draft -> intake -> reply.

Idempotent: a message already past this step is left alone. It all happens in one transaction,
so a crash leaves the row 'received' for the sweeper and a re-run makes no second reply."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from consultant.codes.mentions import find_mentions
from consultant.consult import emails, metering, not_coding
from consultant.consult.drafts.prepare import PreparedDraft, prepare_draft
from consultant.consult.drafts.store import save_draft
from consultant.consult.enrich import Enrichment, enrich
from consultant.consult.intake import Findings, TakenIn, find_thread, held_question, opened_by, take_in
from consultant.consult.loops import ours_came_back, record_bounce, replies_in_last_day
from consultant.consult.reference import format_reference, neutral_subject
from consultant.consult.replies import QueuedReply, queue_reply
from consultant.consult.routing.policy import load_policy
from consultant.consult.routing.router import AUTO, decide
from consultant.consult.routing.rules import Case
from consultant.consult.screen.message import Ours, kinds, screen_message
from consultant.consult.screen.topic import SPAM, Mail, Topic, classify
from consultant.consult.understand.questions import understand
from consultant.db.base import utcnow
from consultant.db.models import ConsultationStatus, InboundEmail, InboundStatus, Question
from consultant.db.session import in_transaction, session_scope
from consultant.mail.bounces import read_bounce
from consultant.mail.compose import UnsafeHeaderValue, safe_address
from consultant.mail.parse import ParsedEmail, UnparseableEmail, parse_email
from consultant.settings import Settings
from consultant.usage.admission import Admission, admit, sender_of

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Outcome:
    status: str
    replies: tuple[QueuedReply, ...] = ()

    @property
    def outbound_ids(self) -> tuple[int, ...]:
        return tuple(reply.outbound_id for reply in self.replies)


def run_inbound(settings: Settings, inbound_id: int, claim_replies: bool = False) -> Outcome:
    """Process one message in its own transaction; an error is recorded on the row and re-raised.

    With `claim_replies` the replies come back claimed, for the caller to send right after commit."""
    try:
        return in_transaction(lambda session: process_inbound(session, settings, inbound_id, claim_replies))
    except Exception as exc:
        with session_scope() as session:
            session.execute(
                update(InboundEmail).where(InboundEmail.id == inbound_id)
                .values(attempts=InboundEmail.attempts + 1, last_error=error_summary(exc))
            )
        raise


def process_inbound(session: Session, settings: Settings, inbound_id: int, claim_replies: bool = False) -> Outcome:
    """Run the pipeline for one inbound message. The caller commits."""
    inbound = _lock(session, inbound_id)
    if inbound is None:
        return Outcome("missing")
    if inbound.status in InboundStatus.FINAL:
        return Outcome(inbound.status)
    if inbound.attempts >= MAX_ATTEMPTS:
        reason = f"processing failed {inbound.attempts} times: {inbound.last_error or 'worker lost'}"
        return _finish(session, inbound_id, InboundStatus.QUARANTINED, reason)
    if inbound.updated_at < utcnow() - timedelta(seconds=settings.sweep_after):
        # a retry after a crash (or an old backlog): count it on its own, so a crash counts too
        session.execute(update(InboundEmail).where(InboundEmail.id == inbound_id)
                        .values(attempts=InboundEmail.attempts + 1))
        session.commit()
        inbound = _lock(session, inbound_id)
    if inbound.already_taken_in:
        return _finish(session, inbound_id, InboundStatus.DUPLICATE, "Message-ID already taken in")
    try:
        parsed = parse_email(inbound.raw, inbound.mail_from)
    except UnparseableEmail as exc:
        return _finish(session, inbound_id, InboundStatus.QUARANTINED, str(exc))
    if parsed.machine:
        bounce = read_bounce(inbound.raw, settings.mail_domain, inbound.mail_from)
        bounced = record_bounce(session, bounce) if bounce else []
        note = f"; failure report for our message(s) {', '.join(map(str, bounced))}" if bounced else ""
        return _finish(session, inbound_id, InboundStatus.MACHINE, parsed.machine + note)
    if parsed.sender in settings.accepted_addresses:
        return _finish(session, inbound_id, InboundStatus.MACHINE, "sent from our own address (mail loop)")
    if ours_came_back(session, parsed.message_id, settings.mail_domain):
        return _finish(session, inbound_id, InboundStatus.MACHINE, "our own message came back (mail loop)")
    try:
        safe_address(parsed.sender)
    except UnsafeHeaderValue:
        return _finish(session, inbound_id, InboundStatus.QUARANTINED, "no usable sender address")

    sender_id = sender_of(session, settings, inbound_id, parsed.sender, parsed.sender_name)
    held = held_question(session, inbound_id)
    thread = held[1] if held else find_thread(session, parsed, sender_id, settings.reference_prefix)
    follow_up = (not opened_by(session, *held)) if held else thread is not None
    admission = admit(session, settings, inbound_id, sender_id, inbound.raw, parsed.sender, parsed.subject,
                      parsed.text, follow_up)
    if admission.command:
        return _handled(session, inbound_id, InboundStatus.PROCESSED, metering.account_command(
            session, settings, inbound_id, inbound.message_id_key, parsed, admission, thread,
            screen_phi(parsed, settings), claim_replies))
    topic = topic_of(parsed, follow_up)
    if topic.kind == SPAM:
        return _handled(session, inbound_id, InboundStatus.PROCESSED, not_coding.record_spam(topic))
    recent = replies_in_last_day(session, parsed.sender)
    if not topic.coding:  # never held for quota or rate: it costs nothing
        return _handled(session, inbound_id, InboundStatus.PROCESSED, not_coding.reply_not_coding(
            session, settings, inbound_id, inbound.message_id_key, parsed, admission, thread, topic,
            screen_phi(parsed, settings), recent, claim_replies))
    if admission.hold:
        return _handled(session, inbound_id, InboundStatus.HELD, metering.hold(
            session, settings, inbound_id, inbound.message_id_key, parsed, admission, thread,
            screen_phi(parsed, settings), claim_replies))
    trusted = admission.authenticity.trusted
    thread = thread if trusted else None

    understood = understand_message(session, settings, parsed, on=date_of_service(parsed), recent_replies=recent,
                                    plan=admission.plan, sender_problem=admission.authenticity.problem)
    draft, decision = understood.draft, understood.draft.decision
    if recent >= settings.auto_reply_cap_per_day:
        return _taken_in_without_reply(session, settings, inbound_id, inbound.message_id_key, parsed, understood,
                                       admission, thread)
    auto = decision.route == AUTO
    taken = _take_in(session, settings, inbound_id, inbound.message_id_key, parsed, understood, admission, thread,
                     ConsultationStatus.ANSWERED if auto else ConsultationStatus.AWAITING_REVIEW)
    line = metering.quota_line(session, settings, admission)

    reference = format_reference(settings.reference_prefix, taken.consultation_id)
    subject = neutral_subject(settings.reference_prefix, taken.consultation_id)
    if auto:
        name, context = "answer", emails.answer(reference, subject, draft, settings.service_name, line)
    else:
        name = "acknowledgement"
        context = emails.acknowledgement(reference, subject, draft, settings.service_name,
                                         settings.review_response_hours, line)
    reply = queue_reply(
        session, settings, name=name, context=context, consultation_id=taken.consultation_id,
        question_id=taken.question_id, to_address=parsed.sender, parent=parsed.message_id,
        references=list(reversed(parsed.thread_ids)), claim=claim_replies,
    )
    _finish(session, inbound_id, InboundStatus.PROCESSED, f"{decision.route}: {name}")
    log.info(
        "inbound processed inbound=%d consultation=%d question=%d route=%s codes=%d outbound=%d",
        inbound_id, taken.consultation_id, taken.question_id, decision.route, len(understood.enrichment.facts),
        reply.outbound_id,
    )
    return Outcome(InboundStatus.PROCESSED, (reply,))


def topic_of(parsed: ParsedEmail, follow_up: bool) -> Topic:
    """Whether the message is a coding question at all (spam, an emergency, something else), from its subject
    and text, the codes it names, its attachments, and whether it answers a consultation."""
    mentions = find_mentions(f"{parsed.subject}\n{parsed.text}")
    return classify(Mail(parsed.subject, parsed.text, has_codes=bool(mentions), attachments=parsed.attachments,
                         follow_up=follow_up))


def _handled(session: Session, inbound_id: int, status: str, handled: metering.Handled) -> Outcome:
    """A message metering or screening set apart: its reason on the inbound row, and its reply if any."""
    _finish(session, inbound_id, status, handled.reason)
    return Outcome(status, (handled.reply,) if handled.reply else ())


@dataclass(frozen=True)
class Understood:
    enrichment: Enrichment
    phi: dict
    asks: list[dict]  # each question: offsets, codes, intents, confidence, route and reasons
    draft: PreparedDraft  # carries the final decision


def _taken_in_without_reply(session: Session, settings: Settings, inbound_id: int, key: str, parsed: ParsedEmail,
                            understood: Understood, admission: Admission, thread: int | None) -> Outcome:
    """Past the daily cap of automatic replies: keep the question for staff and send nothing."""
    _take_in(session, settings, inbound_id, key, parsed, understood, admission, thread,
             ConsultationStatus.AWAITING_REVIEW)
    return _finish(session, inbound_id, InboundStatus.PROCESSED, "review: no reply (automatic reply cap reached)")


def _take_in(session: Session, settings: Settings, inbound_id: int, key: str, parsed: ParsedEmail,
             understood: Understood, admission: Admission, thread: int | None, status: str) -> TakenIn:
    """The question, its findings and its draft into the thread; charged to the sender's plan."""
    decision = understood.draft.decision
    findings = Findings(
        codes=[{"system": f.system, "code": f.code} for f in understood.enrichment.facts],
        facts=understood.enrichment.as_dict(), route=decision.route, reasons=list(decision.reasons),
        consultation_status=status, phi=understood.phi, asks=understood.asks,
    )
    taken = take_in(session, inbound_id, key, parsed, findings, settings.reference_prefix,
                    sender_id=admission.sender_id, thread=thread, join=admission.authenticity.trusted)
    save_draft(session, taken.question_id, taken.consultation_id, understood.draft)
    metering.charge_for(session, admission, taken.question_id, taken.consultation_id, taken.joined)
    return taken


def date_of_service(parsed: ParsedEmail, today: date | None = None) -> date:
    """The day the codes are looked up for: the mail's own date, never later than tomorrow (a Date header in
    the future is a wrong clock or a forgery), else today."""
    today = today or utcnow().date()
    if parsed.sent_on is None or parsed.sent_on > today + timedelta(days=1):
        return today
    return parsed.sent_on


def understand_message(session: Session, settings: Settings, parsed: ParsedEmail,
                       on: date | None = None, recent_replies: int = 0, plan: str | None = None,
                       sender_problem: str | None = None) -> Understood:
    """screen -> understand -> enrich -> route -> draft, for one parsed message; writes nothing."""
    phi = screen_phi(parsed, settings)
    questions = understand(parsed.text, parsed.attachments)
    enrichment = enrich(session, parsed.text, on=on)
    case = Case(
        text=parsed.text, questions=questions, facts=enrichment.by_mention,
        policy=load_policy(settings.routing_policy).for_plan(plan), sender_problem=sender_problem,
        phi_kinds=kinds(phi, "subject", "text", "signature", "forward_headers"), quoted_phi_kinds=kinds(phi, "quoted"),
        attachments=parsed.attachments, mue_codes=enrichment.mue_codes,
        described_modifiers=enrichment.described_modifiers,
        recent_replies=recent_replies, reply_cap=settings.auto_reply_cap_per_day,
    )
    draft = prepare_draft(session, settings.templates_dir, enrichment, questions, decide(case), on=on)
    routes = {r.number: r.as_dict() for r in draft.decision.questions}
    asks = [{**q.as_dict(), **routes[q.number]} for q in questions]
    return Understood(enrichment, phi, asks, draft)


def screen_phi(parsed: ParsedEmail, settings: Settings) -> dict:
    """Where each part of the message (subject, text, quoted, signature, forward headers) may name a patient:
    offsets and kinds per part, never the text."""
    return screen_message(parsed, Ours(settings.accepted_addresses, settings.service_name))


def _lock(session: Session, inbound_id: int):
    return session.execute(
        select(
            InboundEmail.status, InboundEmail.attempts, InboundEmail.last_error, InboundEmail.updated_at,
            InboundEmail.raw, InboundEmail.mail_from, InboundEmail.message_id_key,
            exists().where(Question.message_id_key == InboundEmail.message_id_key,
                           Question.inbound_id != InboundEmail.id).label("already_taken_in"),
        ).where(InboundEmail.id == inbound_id).with_for_update(of=InboundEmail)
    ).one_or_none()


def _finish(session: Session, inbound_id: int, status: str, reason: str) -> Outcome:
    session.execute(
        update(InboundEmail).where(InboundEmail.id == inbound_id)
        .values(status=status, status_reason=reason, updated_at=utcnow())
    )
    if status != InboundStatus.PROCESSED:
        log.info("inbound set aside inbound=%d status=%s", inbound_id, status)
    return Outcome(status)


def error_summary(exc: BaseException) -> str:
    """The exception's type and where it was raised; never its message, which may quote the mail."""
    frame = exc.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    where = f" at {frame.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{frame.tb_lineno}" if frame else ""
    return f"{type(exc).__name__}{where}"
