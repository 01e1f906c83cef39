"""Sent and failed mail (the outbox, retry a failed reply) and the quarantine (reprocess a message)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from consultant.consult import mailroom
from consultant.db.models import OutboundStatus
from consultant.db.session import session_scope
from consultant.staff.accounts import Staff
from consultant.web.params import RowId
from consultant.web.auth import checked_form, current_staff
from consultant.web.render import page

router = APIRouter(include_in_schema=False)
OUTBOX_STATUSES = (OutboundStatus.PENDING, OutboundStatus.SENDING, OutboundStatus.RETRY, OutboundStatus.SENT,
                   OutboundStatus.FAILED)


@router.get("/outbox")
def outbox_page(request: Request, staff: Staff = Depends(current_staff), status: str = "", error: str = "",
                done: str = "") -> Response:
    status = status if status in OUTBOX_STATUSES else ""
    with session_scope() as session:
        rows = mailroom.outbox(session, status)
        return page(request, "outbox.html", staff, rows=rows, status=status, statuses=OUTBOX_STATUSES,
                    error=error[:300], done=done[:100])


@router.post("/outbox/{outbound_id}/retry")
def retry(outbound_id: RowId, form: FormData = Depends(checked_form), staff: Staff = Depends(current_staff)):
    try:
        with session_scope() as session:
            mailroom.retry_outbound(session, staff, outbound_id)
    except mailroom.MailroomError as exc:
        return RedirectResponse(f"/outbox?error={quote(str(exc))}", status_code=303)
    return RedirectResponse(f"/outbox?done={quote(f'reply {outbound_id} queued again')}", status_code=303)


@router.get("/quarantine")
def quarantine_page(request: Request, staff: Staff = Depends(current_staff), error: str = "",
                    done: str = "") -> Response:
    with session_scope() as session:
        rows = mailroom.quarantine(session)
        return page(request, "quarantine.html", staff, rows=rows, error=error[:300], done=done[:100])


@router.post("/quarantine/{inbound_id}/reprocess")
def reprocess(inbound_id: RowId, form: FormData = Depends(checked_form), staff: Staff = Depends(current_staff)):
    try:
        with session_scope() as session:
            mailroom.reprocess_inbound(session, staff, inbound_id)
    except mailroom.MailroomError as exc:
        return RedirectResponse(f"/quarantine?error={quote(str(exc))}", status_code=303)
    return RedirectResponse(f"/quarantine?done={quote(f'message {inbound_id} sent for processing')}", status_code=303)
