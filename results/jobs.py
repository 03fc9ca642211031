"""Calibrations run as jobs (``jobs.services``): a national sitting's responses take seconds."""

from __future__ import annotations

from typing import Any

from jobs.models import Job
from jobs.services import Report

from .calibration import calibration_run


def calibration_job(job: Job, report: Report) -> dict[str, Any]:
    return calibration_run(by=job.owner, calibration_id=job.params["calibration"], report=report)
