"""The Celery application. With no REDIS_URL, tasks run eagerly in the calling process.

Every task is counted and timed by name through Celery's signals (config/metrics.py), in a
worker and eagerly alike.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import task_failure, task_postrun, task_prerun, worker_process_shutdown, worker_ready

from config import metrics

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("assessment")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _log_mode(**_kwargs) -> None:
    import logging

    from django.conf import settings

    logging.getLogger("config").info("celery worker ready: %s", settings.RUNTIME_DESCRIPTION)


@task_prerun.connect
def _count_task_started(sender=None, task_id=None, **_kwargs) -> None:
    metrics.task_started(getattr(sender, "name", None) or "unknown", task_id)


@task_postrun.connect
def _time_task(sender=None, task_id=None, **_kwargs) -> None:
    metrics.task_finished(getattr(sender, "name", None) or "unknown", task_id)


@task_failure.connect
def _count_task_failed(sender=None, **_kwargs) -> None:
    metrics.task_failed(getattr(sender, "name", None) or "unknown")


@worker_process_shutdown.connect
def _mark_pool_process_dead(**_kwargs) -> None:
    # A prefork pool process leaves through os._exit: the atexit hook of config.metrics never runs.
    metrics.mark_process_dead()
