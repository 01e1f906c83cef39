"""The Celery app: `celery -A workers.celery_app worker` (add -B, or run `celery beat`, for the sweeper)."""

from __future__ import annotations

import os
import warnings

from billiard import current_process
from celery import Celery
from celery.exceptions import SecurityWarning
from celery.signals import beat_init, worker_process_init

from consultant.consult.routing.policy import load_policy
from consultant.jobs import celery_config, prepare_broker
from consultant.logging_setup import configure_logging
from consultant.settings import get_settings
from consultant.supervisor import SUPERVISED, die_with_parent

if os.environ.get(SUPERVISED):
    # `consultant run` says once that it runs as root; the worker accepts JSON only, so the pickle risk
    # Celery warns of does not apply
    warnings.filterwarnings("ignore", category=SecurityWarning)

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
    die_with_parent()  # a pool process goes with its worker, even one killed with SIGKILL


@beat_init.connect
def _embedded_beat_goes_with_its_worker(**_kwargs) -> None:
    if current_process().name == "Beat":  # `celery worker --beat` runs it as a child process of that name
        die_with_parent()
