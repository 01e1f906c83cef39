"""The review queue: oldest first, overdue highlighted, with filters and search."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from consultant.consult.review_queue import STATUSES, QueueFilter, queue, queue_counts
from consultant.consult.understand.intents import INTENTS
from consultant.db.session import session_scope
from consultant.settings import get_settings
from consultant.staff.accounts import Staff
from consultant.web.auth import current_staff
from consultant.web.render import page

router = APIRouter(include_in_schema=False)


def queue_filter(status: str = "awaiting_review", intent: str = "", overdue: bool = False, mine: bool = False,
                 q: str = "") -> QueueFilter:
    status = status if status in (*STATUSES, "all") else "awaiting_review"
    return QueueFilter(status=status, intent=intent if intent in INTENTS else "", overdue=overdue, mine=mine,
                       search=q[:200])


@router.get("/")
def queue_page(request: Request, staff: Staff = Depends(current_staff),
               wanted: QueueFilter = Depends(queue_filter)) -> Response:
    settings = get_settings()
    with session_scope() as session:
        items = queue(session, settings, wanted, staff.id)
        counts = queue_counts(session)
    return page(request, "queue.html", staff, items=items, wanted=wanted, counts=counts, statuses=STATUSES,
                intents=INTENTS, service_level=settings.review_response_hours)
