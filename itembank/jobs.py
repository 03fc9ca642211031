"""Item imports run as jobs (``jobs.services``): a file of thousands of items takes longer than a request."""

from __future__ import annotations

from typing import Any

from jobs.services import JobFailed, Report, job_keep_file

from . import uploads
from .exporting import CONTENT_TYPES, EXTENSIONS, export_refusal, export_versions, versions_for_export


def item_import(job, report: Report) -> dict[str, Any]:
    """The job of ``POST /api/imports/<id>/commit/``: every item of the upload or none."""
    try:
        return uploads.import_batch_commit(by=job.owner, batch_id=job.params["batch"], progress=report)
    except uploads.ImportBatchRefused as refused:
        error: dict[str, Any] = {"code": refused.code, "message": refused.messages[0]}
        if refused.report is not None:
            error["report"] = refused.report
        raise JobFailed(error) from None


def item_export(job, report: Report) -> dict[str, Any]:
    """The job of ``POST /api/exports/``: the items its owner may see, in one file to download."""
    params = job.params
    versions = versions_for_export(
        job.owner, subject=params.get("subject"), status=params.get("status"), item_type=params.get("item_type")
    )
    try:
        data = export_versions(versions, format=params["format"], progress=report)
    except ValueError as exc:
        raise JobFailed({"code": "not_exportable", "message": export_refusal(exc)}) from None
    name = f"ngan-hang-cau-hoi.{EXTENSIONS[params['format']]}"
    kept = job_keep_file(job, name=name, content_type=CONTENT_TYPES[params["format"]], data=data)
    return {**kept, "items": versions.count()}
