"""REST API of jobs: a person follows the long work they started (``GET /api/jobs/<id>/``) and
downloads the file it made (``GET /api/jobs/<id>/file/``)."""

from __future__ import annotations

from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from config.api import ErrorSerializer, Instant, error_body

from .models import Job
from .services import progress_of


class JobOutput(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    status = serializers.CharField()
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField()
    message = serializers.CharField()
    result = serializers.JSONField(allow_null=True)
    error = serializers.JSONField(allow_null=True)
    created_at = Instant()
    finished_at = Instant(allow_null=True)


def job_data(job: Job) -> dict:
    figures = progress_of(job)
    total = figures.get("total") or 0
    done = min(figures.get("done") or 0, total) if total else 0
    percent = 100 if job.status == Job.Status.SUCCEEDED else (100 * done // total if total else 0)
    return JobOutput(
        {
            "id": job.pk,
            "kind": job.kind,
            "status": job.status,
            "done": done,
            "total": total,
            "percent": percent,
            "message": figures.get("message") or "",
            "result": job.result,
            "error": job.error,
            "created_at": job.created_at,
            "finished_at": job.finished_at,
        }
    ).data


@extend_schema(responses={200: JobOutput})
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def job_detail(request: Request, job_id) -> Response:
    """A job of one's own (anyone else's does not exist): status, progress, result or error."""
    return Response(job_data(Job.objects.defer("payload").get(pk=job_id, owner_id=request.user.pk)))


@extend_schema(
    responses={
        (200, "application/octet-stream"): OpenApiTypes.BINARY,
        404: ErrorSerializer,
        410: OpenApiResponse(ErrorSerializer, description="file_gone"),
    }
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def job_file(request: Request, job_id) -> HttpResponse:
    """The file a job of one's own made (an export), while it is kept."""
    job = Job.objects.defer("payload").filter(pk=job_id, owner_id=request.user.pk).first()
    if job is None or job.status != Job.Status.SUCCEEDED or not (job.result or {}).get("download"):
        return Response(error_body("not_found", _("Not found.")), status=404)
    if not job.file:
        return Response(error_body("file_gone", _("This file is no longer kept: make it again.")), status=410)
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        return Response(error_body("file_gone", _("This file is no longer kept: make it again.")), status=410)
    response = FileResponse(
        handle, as_attachment=True, filename=job.result["filename"], content_type=job.result["content_type"]
    )
    response["Cache-Control"] = "no-store"
    return response
