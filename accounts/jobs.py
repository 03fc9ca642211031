"""Roster imports run as jobs (``jobs.services``): a province's file takes longer than a request."""

from __future__ import annotations

from typing import Any

from jobs.services import JobFailed, Report

from . import services


def roster_report(plan: services.RosterPlan) -> dict[str, Any]:
    """What a roster file would change and every problem in it (the API's report)."""
    return {"ok": not plan.problems, "counts": plan.counts(), "problems": [p.as_dict() for p in plan.problems]}


def roster_import(job, report: Report) -> dict[str, Any]:
    """The job of ``POST /api/rosters/``: every row or none, as the owner's request would."""
    params = job.params
    try:
        plan, record = services.roster_import(
            by=job.owner,
            organisation_id=params["organisation"],
            school_year=params["school_year"],
            data=bytes(job.payload),
            filename=params["filename"],
            report=report,
        )
    except services.RosterRefused as refused:
        raise JobFailed(
            {"code": "roster_problems", "message": refused.messages[0], "report": roster_report(refused.plan)}
        ) from None
    return {"id": record.pk, **roster_report(plan)}
