"""Import and export through the API: upload and preview, then import all or nothing; export files."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Organisation
from accounts.permissions import IsAuthor, scope_of
from config.api import ErrorSerializer, error_body
from config.ids import CodeRelatedField, IdField
from jobs.api import JobOutput, job_data
from jobs.models import Job
from jobs.services import job_start

from . import uploads
from .exporting import (
    CONTENT_TYPES,
    EXPORT_FORMATS,
    EXTENSIONS,
    export_refusal,
    export_versions,
    versions_for_export,
)
from .importing import MAX_IMPORT_BYTES, ImportDefaults, import_preview
from .interchange.detect import FORMATS
from .interchange.xlsx import template_xlsx
from .models import ImportBatch, ItemType, ItemVersion, Subject, Topic, Visibility


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField()
    format = serializers.ChoiceField(choices=FORMATS, default="auto")
    subject = CodeRelatedField(queryset=Subject.objects.all(), required=False)
    level = serializers.CharField(max_length=20, required=False, default="biet")
    topic = serializers.PrimaryKeyRelatedField(
        queryset=Topic.objects.all(), pk_field=IdField(), required=False, allow_null=True
    )
    visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.SCHOOL)
    grade = serializers.IntegerField(min_value=1, max_value=12, required=False, allow_null=True)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(),
        pk_field=IdField(),
        required=False,
        help_text="the organisation the items belong to",
    )


class ItemReportOutput(serializers.Serializer):
    """``itembank.importing.ItemReport.as_dict``."""

    index = serializers.IntegerField()
    source = serializers.CharField(allow_blank=True)
    item_type = serializers.CharField(allow_blank=True)
    title = serializers.CharField(allow_blank=True)
    preview = serializers.CharField(allow_blank=True)
    subject = serializers.CharField(allow_blank=True)
    topic = serializers.CharField(allow_blank=True)
    level = serializers.CharField(allow_blank=True)
    points = serializers.CharField(allow_blank=True)
    ok = serializers.BooleanField()
    errors = serializers.ListField(child=serializers.CharField())
    warnings = serializers.ListField(child=serializers.CharField())


class ImportReportOutput(serializers.Serializer):
    """``itembank.importing.ImportReport.as_dict``: one entry per item read, problems first."""

    filename = serializers.CharField()
    format = serializers.CharField()
    ok = serializers.BooleanField()
    item_count = serializers.IntegerField()
    error_count = serializers.IntegerField()
    imported = serializers.IntegerField()
    file_errors = serializers.ListField(child=serializers.CharField())
    file_warnings = serializers.ListField(child=serializers.CharField())
    items = ItemReportOutput(many=True)


class UploadOutput(serializers.Serializer):
    id = serializers.UUIDField(help_text="The upload, to import with POST /api/imports/<id>/commit/.")
    report = ImportReportOutput()


class CommitOutput(serializers.Serializer):
    report = ImportReportOutput()
    items = serializers.ListField(child=serializers.IntegerField(), help_text="The ids of the items written.")


@extend_schema(
    request=ImportSerializer,
    responses={
        201: UploadOutput,
        413: ErrorSerializer,
        429: OpenApiResponse(ErrorSerializer, description="upload_quota"),
    },
)
@api_view(["POST"])
@permission_classes([IsAuthor])
@parser_classes([MultiPartParser])
def import_upload(request: Request) -> Response:
    """Keep the file and answer its report; nothing enters the bank yet."""
    serializer = ImportSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    upload = data["file"]
    if upload.size > MAX_IMPORT_BYTES:
        return Response(
            error_body("too_large", _("The file is over %(limit)s bytes.") % {"limit": MAX_IMPORT_BYTES}), status=413
        )
    owner = data.get("owner")
    owner_id = owner.pk if owner else request.user.organisation_id
    if owner_id is None:
        return Response(
            error_body(
                "invalid",
                _("Choose the organisation the items belong to."),
                {"owner": [_("This field is required.")]},
            ),
            status=400,
        )
    if not scope_of(request.user).oversees(owner_id):
        raise PermissionDenied(_("You may not import items for this organisation."))
    try:
        uploads.import_upload_check_quota(by=request.user, size=upload.size)  # before reading the file
    except uploads.UploadQuotaExceeded as exc:
        return Response(error_body(exc.code, exc.messages[0]), status=429)
    raw = upload.read()
    options = {
        "subject": data["subject"].code if data.get("subject") else None,
        "level": data["level"],
        "topic": data["topic"].pk if data.get("topic") else None,
        "visibility": data["visibility"],
        "grade": data.get("grade"),
    }
    report, _planned = import_preview(
        data=raw, filename=upload.name, format=data["format"], defaults=ImportDefaults.from_options(options)
    )
    try:
        batch = uploads.import_upload_store(
            by=request.user,
            owner_id=owner_id,
            filename=upload.name,
            format=data["format"],
            data=raw,
            options=options,
            report=report.as_dict(),
        )
    except uploads.UploadQuotaExceeded as exc:  # another upload of this person passed meanwhile
        return Response(error_body(exc.code, exc.messages[0]), status=429)
    return Response({"id": str(batch.pk), "report": batch.report}, status=status.HTTP_201_CREATED)


class CommitJobOutput(serializers.Serializer):
    job = JobOutput(help_text="The import under way: follow it at GET /api/jobs/<id>/; its result is a CommitOutput.")


@extend_schema(
    request=None,
    responses={
        200: CommitOutput,
        202: CommitJobOutput,
        400: OpenApiResponse(ErrorSerializer, description="import_rejected, with the report beside the error"),
        410: OpenApiResponse(ErrorSerializer, description="upload_gone"),
    },
)
@api_view(["POST"])
@permission_classes([IsAuthor])
def import_commit_view(request: Request, batch_id) -> Response:
    """Import every item of a previewed file, or none, as a job (202); a batch already imported
    answers its items (200). A second call while the job runs follows the same job."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().filter(pk=batch_id, created_by=request.user).first()
        if batch is None:
            return Response(error_body("not_found", _("No such import.")), status=404)
        if batch.status == ImportBatch.Status.IMPORTED:
            return Response({"report": batch.report, "items": batch.item_ids})
        if batch.status == ImportBatch.Status.REJECTED:  # its file was refused and not kept
            return _rejected(batch.report)
        if not batch.file:
            gone = uploads.upload_gone()
            return Response(error_body(gone.code, gone.messages[0]), status=410)
        job = batch.job
        if job is None or job.status not in (Job.Status.QUEUED, Job.Status.RUNNING):
            job = job_start(by=request.user, kind="item_import", params={"batch": str(batch.pk)})
            ImportBatch.objects.filter(pk=batch.pk).update(job=job)
        return Response({"job": job_data(job)}, status=status.HTTP_202_ACCEPTED)


def _rejected(report: dict) -> Response:
    body = error_body("import_rejected", uploads.rejected_message(report))
    body["report"] = report
    return Response(body, status=400)


class ExportSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=EXPORT_FORMATS)
    subject = serializers.CharField(max_length=40, required=False)
    status = serializers.ChoiceField(choices=ItemVersion.Status.choices, required=False)
    item_type = serializers.ChoiceField(choices=ItemType.choices, required=False)


class ExportJobOutput(serializers.Serializer):
    job = JobOutput(
        help_text="The export under way: follow it at GET /api/jobs/<id>/; its result names the file to "
        "download at GET /api/jobs/<id>/file/."
    )


@extend_schema(
    methods=["GET"],
    parameters=[ExportSerializer],
    responses={(200, content_type): OpenApiTypes.BINARY for content_type in sorted(set(CONTENT_TYPES.values()))},
)
@extend_schema(methods=["POST"], request=ExportSerializer, responses={202: ExportJobOutput})
@api_view(["GET", "POST"])
@permission_classes([IsAuthor])
def export(request: Request) -> HttpResponse:
    """The items one may see in one file: at once (GET), or as a job with its progress (POST),
    whose file is then downloaded at ``GET /api/jobs/<id>/file/``."""
    serializer = ExportSerializer(data=request.data if request.method == "POST" else request.query_params)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    if request.method == "POST":
        params = {key: data.get(key) for key in ("format", "subject", "status", "item_type")}
        job = job_start(by=request.user, kind="item_export", params=params)
        return Response({"job": job_data(job)}, status=status.HTTP_202_ACCEPTED)
    versions = versions_for_export(
        request.user, subject=data.get("subject"), status=data.get("status"), item_type=data.get("item_type")
    )
    try:
        body = export_versions(versions, format=data["format"])
    except ValueError as exc:
        return Response(error_body("not_exportable", export_refusal(exc)), status=400)
    name = f"ngan-hang-cau-hoi.{EXTENSIONS[data['format']]}"
    response = HttpResponse(body, content_type=CONTENT_TYPES[data["format"]])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@extend_schema(responses={(200, CONTENT_TYPES["xlsx"]): OpenApiTypes.BINARY})
@api_view(["GET"])
@permission_classes([IsAuthor])
def excel_template(request: Request) -> HttpResponse:
    response = HttpResponse(template_xlsx(), content_type=CONTENT_TYPES["xlsx"])
    response["Content-Disposition"] = 'attachment; filename="mau-ngan-hang-cau-hoi.xlsx"'
    return response
