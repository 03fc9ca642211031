"""Work of assessments run as jobs (``jobs.services``): each reads its parameters from the job
and calls the same service a request would, with the job's owner as ``by``."""

from __future__ import annotations

from typing import Any

from jobs.services import Report

from . import test_codes


def codes_generate(job, report: Report) -> dict[str, Any]:
    """The job of ``POST /api/forms/<id>/codes/``: the master form and the codes made."""
    params = job.params
    codes = test_codes.codes_generate(
        by=job.owner,
        form_id=params["form"],
        count=params["count"],
        first=params["first"],
        seed=params.get("seed"),
        progress=report,
    )
    return {"form": params["form"], "test_codes": [{"id": code.pk, "code": code.code} for code in codes]}
