"""Start long work as a job, run it in a Celery worker, report its progress, keep its outcome.

Each kind of job names the function that does the work (``KINDS``: a dotted path, imported
when a job runs, so this app imports none of the apps above it). The function gets the job
and a ``report(done, total, message)`` callable and returns the JSON-able result the API
would have answered; it calls the same services a request would, with the job's owner as
``by``, so every permission is checked again. A ``ValidationError`` or ``PermissionDenied``
fails the job with its message (in the language the person chose when starting it); any
other exception fails it with a generic message and is logged.

Progress goes to the cache (Redis with the services, the process's memory in the embedded
default), not the database: the work may hold one transaction open for minutes (a roster is
written all or nothing) and the page polling the job must still see it advance.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .models import Job

logger = logging.getLogger(__name__)

KINDS: dict[str, str] = {
    "roster_import": "accounts.jobs.roster_import",
    "item_import": "itembank.jobs.item_import",
    "test_codes": "assess.jobs.codes_generate",
    "item_export": "itembank.jobs.item_export",
    "collusion_report": "proctoring.jobs.collusion_report_job",
    "calibration": "results.jobs.calibration_job",
    "results_export": "results.jobs.results_export_job",
    "records_statistics": "records.jobs.statistics_job",
    "education_export": "records.jobs.education_export_job",
}
PROGRESS_SECONDS = 3600
REPORT_EVERY = 0.25  # seconds between two progress writes

Report = Callable[[int, int, str], None]


class JobFailed(Exception):
    """The work refused with a whole error body (``{"code", "message", ...}``) to keep."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", ""))
        self.error = error


def _key(job_id: Any) -> str:
    return f"job-progress:{job_id}"


def progress_of(job: Job) -> dict[str, Any]:
    """How far a job is: the cache's figures while it runs, the row's once it is done."""
    if job.status == Job.Status.RUNNING:
        cached = cache.get(_key(job.pk))
        if cached:
            return cached
    return {"done": job.done, "total": job.total, "message": job.message}


def job_start(*, by, kind: str, params: dict[str, Any] | None = None, payload: bytes | None = None) -> Job:
    """Record a job and queue it; it runs once this transaction commits (at once when eager)."""
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job.objects.create(
        kind=kind,
        owner=by,
        params={**(params or {}), "language": translation.get_language()},
        payload=payload,
    )
    from .tasks import run_job_task

    transaction.on_commit(lambda: run_job_task.delay(str(job.pk)))
    return job


def _reporter(job: Job) -> Report:
    last = [0.0]

    def report(done: int, total: int, message: str = "") -> None:
        now = time.monotonic()
        if now - last[0] < REPORT_EVERY and done < total:
            return
        last[0] = now
        cache.set(_key(job.pk), {"done": done, "total": total, "message": message[:300]}, PROGRESS_SECONDS)

    return report


def run_job(job_id: str) -> str:
    """Run one queued job (a repeat or a job already taken is a no-op); its final status."""
    with transaction.atomic():
        job = Job.objects.select_for_update(skip_locked=True).filter(pk=job_id, status=Job.Status.QUEUED).first()
        if job is None:
            return "skipped"
        job.status, job.started_at = Job.Status.RUNNING, timezone.now()
        job.save(update_fields=["status", "started_at"])
    work = import_string(KINDS[job.kind])
    report = _reporter(job)
    outcome: dict[str, Any] = {}
    with translation.override(job.params.get("language") or None):
        try:
            result = work(job, report)
            figures = cache.get(_key(job.pk)) or {}
            outcome = {
                "status": Job.Status.SUCCEEDED,
                "result": result,
                "done": figures.get("total", 1) or 1,
                "total": figures.get("total", 1) or 1,
                "message": "",
            }
        except JobFailed as failed:
            outcome = {"status": Job.Status.FAILED, "error": failed.error}
        except ValidationError as error:
            fields = error.message_dict if hasattr(error, "error_dict") else None
            outcome = {
                "status": Job.Status.FAILED,
                "error": {"code": "invalid", "message": "; ".join(error.messages), "fields": fields},
            }
        except PermissionDenied as error:
            outcome = {
                "status": Job.Status.FAILED,
                "error": {"code": "forbidden", "message": str(error) or _("You may not do this.")},
            }
        except Exception:  # noqa: BLE001 - a job never dies silently: it fails and says so
            logger.exception("job %s (%s) failed", job.pk, job.kind)
            outcome = {
                "status": Job.Status.FAILED,
                "error": {
                    "code": "server_error",
                    "message": _("The work could not be finished. Try again in a moment."),
                },
            }
    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now(), payload=None, **outcome)
    cache.delete(_key(job.pk))
    return str(outcome["status"])


def job_keep_file(job: Job, *, name: str, content_type: str, data: bytes) -> dict[str, Any]:
    """Keep a file the work made for its owner to download; what a job's result says of it."""
    job.file.save(name, ContentFile(data), save=False)
    Job.objects.filter(pk=job.pk).update(file=job.file.name)
    return {
        "filename": name,
        "content_type": content_type,
        "size": len(data),
        "download": f"/api/jobs/{job.pk}/file/",
    }


def jobs_sweep(*, now: datetime | None = None) -> int:
    """Delete the files of jobs finished over ``JOB_FILE_MAX_AGE_SECONDS`` ago; how many."""
    now = now or timezone.now()
    old = Job.objects.filter(finished_at__lt=now - timedelta(seconds=settings.JOB_FILE_MAX_AGE_SECONDS)).exclude(
        file=""
    )
    swept = 0
    for job in old.only("pk", "file"):
        name = job.file.name
        Job.objects.filter(pk=job.pk).update(file="")
        try:
            default_storage.delete(name)
        except OSError:  # pragma: no cover - the row no longer names it; logged for the operator
            logger.warning("could not delete the job file %s", name, exc_info=True)
        swept += 1
    return swept
