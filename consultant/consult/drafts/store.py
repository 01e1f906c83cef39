"""A prepared draft -> its row: sent as written when answered at once, else waiting for a reviewer."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.orm import Session

from consultant.consult.drafts.prepare import PreparedDraft
from consultant.consult.routing.router import AUTO
from consultant.db.base import utcnow
from consultant.db.models import Draft, DraftStatus


def save_draft(session: Session, question_id: int, consultation_id: int, draft: PreparedDraft) -> int:
    now = utcnow()
    return session.execute(insert(Draft).values(
        question_id=question_id,
        consultation_id=consultation_id,
        status=DraftStatus.SENT if draft.decision.route == AUTO else DraftStatus.PENDING_REVIEW,
        origin="auto",
        body_text=draft.text,
        sections=draft.sections,
        sources=draft.sources,
        grounding_problems=draft.problems,
        created_at=now,
        updated_at=now,
    ).returning(Draft.id)).scalar_one()
