"""Celery tasks of the item bank: thin, idempotent (the services hold the logic)."""

from __future__ import annotations

from celery import shared_task

from . import uploads


@shared_task(acks_late=True)
def import_uploads_sweep_task() -> int:
    """Delete the upload files no import may still use (Celery beat runs this)."""
    return uploads.import_uploads_sweep()
