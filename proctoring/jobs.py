"""Work of proctoring run as jobs (``jobs.services``): each reads its parameters from the job and
calls the same service a request would, with the job's owner as ``by``."""

from __future__ import annotations

from typing import Any

from jobs.services import Report

from . import collusion_report


def collusion_report_job(job, report: Report) -> dict[str, Any]:
    """The job of ``POST /api/sittings/<id>/collusion/``: the board's report, kept as its result."""
    return collusion_report.collusion_report_build(
        by=job.owner, sitting_id=job.params["sitting"], alpha=job.params["alpha"], progress=report
    )
