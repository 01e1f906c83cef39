"""The Celery app: `celery -A workers.celery_app worker` (add -B, or run `celery beat`, for the sweeper)."""

from __future__ import annotations

from celery import Celery
from celery.signals import worker_process_init

from consultant.consult.routing.policy import load_policy
from consultant.jobs import celery_config, prepare_broker
from consultant.logging_setup import configure_logging
from consultant.settings import get_settings

settings = get_settings()
load_policy(settings.routing_policy)  # a bad routing policy stops the worker here, with the key named
prepare_broker(settings)
configure_logging()

app = Celery("consultant", include=["workers.tasks"])
app.config_from_object(celery_config(settings))
app.conf.beat_schedule_filename = str(settings.resolved_data_dir / "celerybeat-schedule")


@worker_process_init.connect
def _fresh_connections_after_fork(**_kwargs) -> None:
    from consultant.db.session import forget_inherited_engines

    forget_inherited_engines()
