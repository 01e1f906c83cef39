"""What reviewers see: the queue of consultations and one consultation's whole thread. Reads only."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from consultant.consult.reference import format_reference
from consultant.db.base import utcnow
from consultant.db.models import (
    Consultation,
    ConsultationNote,
    ConsultationStatus,
    Draft,
    DraftStatus,
    OutboundEmail,
    Question,
    Sender,
    StaffUser,
)
from consultant.settings import Settings

STATUSES = (ConsultationStatus.AWAITING_REVIEW, ConsultationStatus.HELD, ConsultationStatus.ANSWERED,
            ConsultationStatus.CLOSED, ConsultationStatus.OPEN)


@dataclass(frozen=True)
class QueueFilter:
    status: str = ConsultationStatus.AWAITING_REVIEW  # "all" for every status
    intent: str = ""
    overdue: bool = False
    mine: bool = False
    search: str = ""  # part of the sender's address, or a code


@dataclass(frozen=True)
class QueueItem:
    consultation_id: int
    reference: str
    sender: str
    subject: str
    status: str
    waiting_since: datetime
    age_hours: float
    overdue: bool
    intents: list[str]
    codes: list[str]
    reasons: list[str]
    assignee: str | None

    def as_dict(self) -> dict:
        row = asdict(self)
        row["waiting_since"] = self.waiting_since.isoformat()
        return row


def queue(session: Session, settings: Settings, wanted: QueueFilter, staff_id: int | None = None,
          now: datetime | None = None) -> list[QueueItem]:
    """Consultations by how long they have waited, oldest first, with what a reviewer decides on."""
    now = now or utcnow()
    query = (select(Consultation).options(selectinload(Consultation.sender), selectinload(Consultation.assignee),
                                          selectinload(Consultation.questions))
             .order_by(Consultation.created_at, Consultation.id))
    if wanted.status != "all":
        query = query.where(Consultation.status == wanted.status)
    if wanted.mine and staff_id is not None:
        query = query.where(Consultation.assignee_id == staff_id)
    search = wanted.search.strip().lower()
    items = []
    for consultation in session.scalars(query):
        item = _item(session, settings, consultation, now)
        if wanted.overdue and not item.overdue:
            continue
        if wanted.intent and wanted.intent not in item.intents:
            continue
        if search and search not in item.sender and search.upper() not in item.codes:
            continue
        items.append(item)
    return sorted(items, key=lambda i: (i.waiting_since, i.consultation_id))


def _item(session: Session, settings: Settings, consultation: Consultation, now: datetime) -> QueueItem:
    pending = set(session.scalars(select(Draft.question_id).where(
        Draft.consultation_id == consultation.id, Draft.status == DraftStatus.PENDING_REVIEW)))
    waiting = [q for q in consultation.questions if q.id in pending] or consultation.questions[-1:]
    since = min((q.created_at for q in waiting), default=consultation.created_at)
    age = now - since
    intents, codes, reasons = [], [], []
    for q in waiting:
        for ask in q.asks:
            intents += [i for i in ask.get("intents", []) if i not in intents]
        codes += [c["code"] for c in q.codes if c["code"] not in codes]
        reasons += [r for r in q.route_reasons if r not in reasons]
    return QueueItem(
        consultation_id=consultation.id, reference=format_reference(settings.reference_prefix, consultation.id),
        sender=consultation.sender.address, subject=consultation.subject, status=consultation.status,
        waiting_since=since, age_hours=round(age.total_seconds() / 3600, 1),
        overdue=consultation.status == ConsultationStatus.AWAITING_REVIEW
        and age > timedelta(hours=settings.review_response_hours),
        intents=intents, codes=codes, reasons=reasons,
        assignee=consultation.assignee.email if consultation.assignee else None,
    )


@dataclass
class ThreadEntry:
    """One message in the thread: a question from the sender, or a reply we sent."""

    at: datetime
    kind: str  # question, reply
    question: Question | None = None
    draft: Draft | None = None
    outbound: OutboundEmail | None = None


@dataclass
class ConsultationView:
    consultation: Consultation
    item: QueueItem
    thread: list[ThreadEntry]
    notes: list[ConsultationNote] = field(default_factory=list)

    @property
    def pending_drafts(self) -> list[Draft]:
        return [e.draft for e in self.thread if e.draft is not None and e.draft.status == DraftStatus.PENDING_REVIEW]


def consultation_view(session: Session, settings: Settings, consultation_id: int,
                      now: datetime | None = None) -> ConsultationView | None:
    consultation = session.get(Consultation, consultation_id)
    if consultation is None:
        return None
    drafts = {d.question_id: d for d in session.scalars(select(Draft).where(Draft.consultation_id == consultation_id))}
    thread = [ThreadEntry(q.created_at, "question", question=q, draft=drafts.get(q.id))
              for q in consultation.questions]
    thread += [ThreadEntry(o.created_at, "reply", outbound=o) for o in session.scalars(
        select(OutboundEmail).where(OutboundEmail.consultation_id == consultation_id))]
    thread.sort(key=lambda e: (e.at, 0 if e.kind == "question" else 1))
    notes = list(session.scalars(select(ConsultationNote).options(selectinload(ConsultationNote.author))
                                 .where(ConsultationNote.consultation_id == consultation_id)
                                 .order_by(ConsultationNote.id)))
    return ConsultationView(consultation, _item(session, settings, consultation, now or utcnow()), thread, notes)


def queue_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Consultation.status, func.count()).group_by(Consultation.status)).all()
    return {status: count for status, count in rows}


def sender_addresses(session: Session) -> list[str]:
    return list(session.scalars(select(Sender.address).order_by(Sender.address)))


def reviewers(session: Session) -> list[str]:
    return list(session.scalars(select(StaffUser.email).where(StaffUser.active.is_(True)).order_by(StaffUser.email)))
