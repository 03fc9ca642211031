"""The Celery application. With no REDIS_URL, tasks run eagerly in the calling process."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("assessment")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _log_mode(**_kwargs) -> None:
    import logging

    from django.conf import settings

    logging.getLogger("config").info("celery worker ready: %s", settings.RUNTIME_DESCRIPTION)
