"""Thin tasks: take ids, call the domain core, wake the next step. JSON arguments only."""

from __future__ import annotations

from consultant import jobs
from consultant.consult.pipeline import run_inbound
from consultant.mail.outbox import deliver, deliver_claimed
from consultant.mail.senders import process_sender
from consultant.settings import get_settings
from consultant.sweeper import wake_stuck
from workers.celery_app import app

MAX_COUNTDOWN = 600.0  # longer waits are left to the sweeper, not held in a worker's memory


@app.task(name=jobs.PROCESS_INBOUND)
def process_inbound(inbound_id: int) -> str:
    """Process, then send the replies at once (they were committed already claimed by us)."""
    settings = get_settings()
    outcome = run_inbound(settings, inbound_id, claim_replies=True)
    for reply in outcome.replies:
        delivery = deliver_claimed(
            settings, reply.outbound_id, reply.mail_from, reply.rcpt_to, reply.raw, reply.attempts,
            sender=process_sender(settings),
        )
        _schedule_retry(reply.outbound_id, delivery)
    return outcome.status


@app.task(name=jobs.SEND_OUTBOUND)
def send_outbound(outbound_id: int) -> str:
    settings = get_settings()
    delivery = deliver(settings, outbound_id, process_sender(settings))
    _schedule_retry(outbound_id, delivery)
    return delivery.status


def _schedule_retry(outbound_id: int, delivery) -> None:
    if delivery.retry_in is not None and delivery.retry_in <= MAX_COUNTDOWN:
        jobs.dispatch_now(jobs.SEND_OUTBOUND, outbound_id, countdown=delivery.retry_in)


@app.task(name=jobs.SWEEP)
def sweep() -> dict:
    stuck = wake_stuck(get_settings())
    return {"inbound": len(stuck.inbound_ids), "outbound": len(stuck.outbound_ids)}
