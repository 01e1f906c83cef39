"""Background jobs: named tasks that take ids, sent to the broker only after the session commits.

The queue is a wake-up call; the database is the truth. A dispatch that fails after commit is
logged and left to the sweeper, never raised into the code that committed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from celery import Celery
from sqlalchemy import event
from sqlalchemy.orm import Session

from consultant.settings import Settings, get_settings

log = logging.getLogger(__name__)

PROCESS_INBOUND = "consultant.process_inbound"
SEND_OUTBOUND = "consultant.send_outbound"
SWEEP = "consultant.sweep"
QUEUE = "consultant"

Dispatcher = Callable[[str, tuple[int, ...], float | None], None]


def celery_config(settings: Settings) -> dict[str, Any]:
    config: dict[str, Any] = {
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_serializer": "json",
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_default_queue": QUEUE,
        "broker_connection_retry_on_startup": True,
        "worker_hijack_root_logger": False,
        "beat_schedule": {"sweep": {"task": SWEEP, "schedule": settings.sweep_interval}},
        "timezone": "UTC",
    }
    if settings.embedded_broker:
        folder = str(settings.broker_dir)
        config["broker_url"] = "filesystem://"
        config["broker_transport_options"] = {
            "data_folder_in": folder,
            "data_folder_out": folder,
            "control_folder": str(settings.broker_dir / "control"),
            "polling_interval": 0.05,
        }
        config["worker_enable_remote_control"] = False
    else:
        config["broker_url"] = settings.broker_url
        config["broker_transport_options"] = {"visibility_timeout": 3600}
    return config


def prepare_broker(settings: Settings) -> None:
    if settings.embedded_broker:
        (settings.broker_dir / "control").mkdir(parents=True, exist_ok=True)


@lru_cache
def client() -> Celery:
    settings = get_settings()
    prepare_broker(settings)
    app = Celery("consultant-client", set_as_current=False)
    app.config_from_object(celery_config(settings))
    return app


def send_with_celery(name: str, args: tuple[int, ...], countdown: float | None = None) -> None:
    client().send_task(name, args=list(args), countdown=countdown, queue=QUEUE)


_dispatcher: Dispatcher = send_with_celery


def use_dispatcher(dispatcher: Dispatcher) -> Dispatcher:
    """Swap how jobs leave the process (tests record them); returns the previous one."""
    global _dispatcher
    previous, _dispatcher = _dispatcher, dispatcher
    return previous


def defer(session: Session, name: str, *ids: int, countdown: float | None = None) -> None:
    """Send the job once this session commits; forget it if the session rolls back."""
    session.info.setdefault("deferred_jobs", []).append((name, ids, countdown))


def dispatch_now(name: str, *ids: int, countdown: float | None = None) -> bool:
    try:
        _dispatcher(name, ids, countdown)
    except Exception as exc:  # the sweeper re-sends whatever is still waiting
        log.warning("job dispatch failed task=%s ids=%s error=%s", name, ids, type(exc).__name__)
        return False
    return True


@event.listens_for(Session, "after_commit")
def _send_deferred(session: Session) -> None:
    for name, ids, countdown in session.info.pop("deferred_jobs", []):
        dispatch_now(name, *ids, countdown=countdown)


@event.listens_for(Session, "after_soft_rollback")
def _drop_deferred(session: Session, rolled_back) -> None:
    if rolled_back.parent is None:  # a savepoint rolled back inside the transaction keeps its jobs
        session.info.pop("deferred_jobs", None)
