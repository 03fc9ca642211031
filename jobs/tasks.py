"""Celery tasks of jobs: run the job of this id; sweep old jobs' files (thin: ``jobs.services``)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def run_job_task(job_id: str) -> str:
    return services.run_job(job_id)


@shared_task
def jobs_sweep_task() -> int:
    return services.jobs_sweep()
