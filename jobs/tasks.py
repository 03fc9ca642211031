"""The one Celery task of jobs: run the job of this id (thin; ``jobs.services`` does the work)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def run_job_task(job_id: str) -> str:
    return services.run_job(job_id)
