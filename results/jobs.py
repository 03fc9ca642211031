"""Results work run as jobs (``jobs.services``): a national sitting's calibration and its
results file take seconds, longer than a request should."""

from __future__ import annotations

from typing import Any

from assess.sittings import sittings_run_by
from jobs.models import Job
from jobs.services import Report, job_keep_file

from . import exports
from .calibration import calibration_run


def calibration_job(job: Job, report: Report) -> dict[str, Any]:
    return calibration_run(by=job.owner, calibration_id=job.params["calibration"], report=report)


def results_export_job(job: Job, report: Report) -> dict[str, Any]:
    """The job of ``POST /api/sittings/{id}/results/export/``: whoever runs the sitting."""
    sitting = sittings_run_by(job.owner).select_related("assessment").get(pk=job.params["sitting"])
    report(0, 1, "")
    name, content_type, data = exports.results_file(sitting, job.params["output"])
    return {**job_keep_file(job, name=name, content_type=content_type, data=data), "rows": sitting.attempts.count()}
