"""Records reports run as jobs (``jobs.services``): a department's statistics and its export for
the education database read every class of its schools."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from accounts.models import Organisation, Role
from accounts.permissions import BOARD, require, scope_of
from jobs.models import Job
from jobs.services import Report, job_keep_file
from printing import tables

from . import exports

REPORTERS = (Role.SCHOOL_ADMIN, *BOARD)


def require_reporter(user: Any, organisation: Organisation) -> None:
    """A school's administrator for their school, the board for its department and schools."""
    scope = scope_of(user)
    require(
        scope.has_role(*REPORTERS) and scope.oversees(organisation.pk),
        _("Only the school's administrator or the board makes the records' reports."),
    )


def statistics_job(job: Job, report: Report) -> dict[str, Any]:
    organisation = Organisation.objects.get(pk=job.params["organisation"])
    require_reporter(job.owner, organisation)
    figures = exports.statistics(organisation, job.params["school_year"], report)
    data = tables.xlsx_bytes(exports.statistics_sheets(figures))
    name = f"thong-ke-{organisation.code}-{job.params['school_year']}.xlsx"
    kept = job_keep_file(
        job, name=name, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", data=data
    )
    return {**kept, "statistics": figures}


def education_export_job(job: Job, report: Report) -> dict[str, Any]:
    organisation = Organisation.objects.get(pk=job.params["organisation"])
    require_reporter(job.owner, organisation)
    data = exports.education_export(organisation, job.params["school_year"], report)
    name = f"csdl-{organisation.code}-{job.params['school_year']}.zip"
    return {
        **job_keep_file(job, name=name, content_type="application/zip", data=data),
        "schema": exports.SCHEMA_VERSION,
    }
