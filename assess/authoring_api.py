"""REST API of assessments, forms and test codes (thin: authorise, parse, call, shape).

Teachers, board members and administrators see the assessments of the organisations they
oversee (``assess.authoring.assessments_visible_to``); anyone else is refused (403); an
assessment outside one's organisations does not exist (404). Changes are checked again by the
services (a teacher changes only their own continuous assessments). Validation errors name
their field by its path: ``parts.0.item_count``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsAssessor
from config.api import ErrorSerializer, Instant, error_body
from config.ids import CodeRelatedField, IdField
from itembank.api import StudentItemOutput
from itembank.models import Subject
from jobs.api import JobOutput, job_data
from jobs.services import job_start
from scoring.item_rules import ITEM_TYPES

from . import authoring, presets, selectors, test_codes
from .blueprint_api import _flat
from .models import Assessment, AssessmentPart, Blueprint, Form, FormItem, RecordEntryType

# --- input -----------------------------------------------------------------------------------


PART_ITEM_TYPES = ["", *ITEM_TYPES]  # "": a part of items of any type


class PartInput(serializers.Serializer):
    label = serializers.CharField(max_length=authoring.MAX_LABEL)
    item_type = serializers.ChoiceField(choices=PART_ITEM_TYPES, required=False, default="")
    item_count = serializers.IntegerField(min_value=1, max_value=authoring.MAX_ITEMS_PER_PART)
    points_per_item = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=Decimal("0.01"), max_value=authoring.MAX_POINTS_PER_ITEM
    )
    scoring = serializers.ChoiceField(
        choices=AssessmentPart.Scoring.values, required=False, default=AssessmentPart.Scoring.AS_AUTHORED
    )
    time_limit_minutes = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="The part's own time: delivered as a section."
    )
    navigation = serializers.ChoiceField(
        choices=AssessmentPart.Navigation.values, required=False, default=AssessmentPart.Navigation.FREE
    )
    break_minutes = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="A break after the part."
    )


class SectionInput(serializers.Serializer):
    time_limit_minutes = serializers.IntegerField(required=False, allow_null=True, default=None)
    navigation = serializers.ChoiceField(
        choices=AssessmentPart.Navigation.values, required=False, default=AssessmentPart.Navigation.FREE
    )
    break_minutes = serializers.IntegerField(required=False, allow_null=True, default=None)


class SectionsInput(serializers.Serializer):
    parts = SectionInput(many=True, allow_empty=False, max_length=authoring.MAX_PARTS)


class AssessmentInput(serializers.Serializer):
    title = serializers.CharField(max_length=authoring.MAX_TITLE)
    kind = serializers.ChoiceField(choices=Assessment.Kind.values)
    subject = CodeRelatedField(queryset=Subject.objects.all())
    grade = serializers.IntegerField(min_value=1, max_value=12, required=False, allow_null=True, default=None)
    organisation = IdField(required=False, allow_null=True, default=None)
    school_year = serializers.CharField(max_length=9)
    term = serializers.IntegerField(min_value=1, max_value=2)
    record_entry_type = serializers.ChoiceField(choices=RecordEntryType.values)
    score_step = serializers.ChoiceField(
        choices=Assessment.ScoreStep.values, required=False, default=Assessment.ScoreStep.TENTH
    )
    duration_minutes = serializers.IntegerField(min_value=1, max_value=authoring.MAX_MINUTES)
    parts = PartInput(many=True, allow_empty=False, max_length=authoring.MAX_PARTS)


class FormInput(serializers.Serializer):
    code = serializers.CharField(max_length=authoring.MAX_CODE)
    parts = serializers.ListField(
        child=serializers.ListField(child=IdField(), max_length=authoring.MAX_ITEMS_PER_PART),
        allow_empty=False,
        max_length=authoring.MAX_PARTS,
    )


class FormReplaceInput(FormInput):
    code = serializers.CharField(max_length=authoring.MAX_CODE, required=False)


class TrialInput(serializers.Serializer):
    positions = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=1000),
        max_length=1000,
        help_text="The master positions of the trial items; the others count.",
    )


class DrawInput(serializers.Serializer):
    blueprint = IdField()
    code = serializers.CharField(max_length=authoring.MAX_CODE, required=False, default="", allow_blank=True)
    seed = serializers.IntegerField(min_value=0, max_value=2**62, required=False, allow_null=True, default=None)
    dry_run = serializers.BooleanField(required=False, default=False)


class CodesInput(serializers.Serializer):
    count = serializers.IntegerField(min_value=1, max_value=test_codes.MAX_CODES)
    first = serializers.CharField(max_length=authoring.MAX_CODE, required=False, default=test_codes.FIRST_CODE)
    seed = serializers.IntegerField(min_value=0, max_value=2**62, required=False, allow_null=True, default=None)


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise serializers.ValidationError(_flat(serializer.errors))
    return serializer.validated_data


def _spec(request: Request) -> authoring.AssessmentSpec:
    data = _valid(AssessmentInput, request.data)
    return authoring.AssessmentSpec(
        title=data["title"],
        kind=data["kind"],
        subject_id=data["subject"].pk,
        grade=data["grade"],
        organisation_id=data["organisation"],
        school_year=data["school_year"],
        term=data["term"],
        record_entry_type=data["record_entry_type"],
        score_step=data["score_step"],
        duration_minutes=data["duration_minutes"],
        parts=tuple(authoring.PartSpec(**part) for part in data["parts"]),
    )


# --- output ----------------------------------------------------------------------------------


class PartOutput(serializers.Serializer):
    position = serializers.IntegerField()
    label = serializers.CharField()
    item_type = serializers.CharField()
    item_count = serializers.IntegerField()
    points_per_item = serializers.DecimalField(max_digits=6, decimal_places=2)
    scoring = serializers.CharField()
    time_limit_minutes = serializers.SerializerMethodField()
    navigation = serializers.CharField()
    break_minutes = serializers.SerializerMethodField()

    def get_time_limit_minutes(self, part: AssessmentPart) -> int | None:
        return int(part.time_limit.total_seconds() // 60) if part.time_limit is not None else None

    def get_break_minutes(self, part: AssessmentPart) -> int | None:
        return int(part.break_after.total_seconds() // 60) if part.break_after is not None else None


class FormSummaryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    kind = serializers.CharField()
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    blueprint = serializers.IntegerField(source="blueprint_id", allow_null=True)
    seed = serializers.IntegerField(allow_null=True)
    item_count = serializers.IntegerField()
    created_at = Instant()


class AssessmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.CharField()
    subject = serializers.CharField(source="subject.code")
    subject_name = serializers.CharField(source="subject.name")
    grade = serializers.IntegerField(allow_null=True)
    organisation = serializers.IntegerField(source="organisation_id")
    organisation_name = serializers.CharField(source="organisation.name")
    school_year = serializers.CharField()
    term = serializers.IntegerField()
    record_entry_type = serializers.CharField()
    score_step = serializers.CharField()
    duration_minutes = serializers.IntegerField()
    total_points = serializers.SerializerMethodField()
    created_by = serializers.IntegerField(source="created_by_id")
    created_at = Instant()
    can_change = serializers.SerializerMethodField()
    parts = PartOutput(many=True)

    def get_total_points(self, assessment: Assessment) -> str:
        return str(sum((p.item_count * p.points_per_item for p in assessment.parts.all()), Decimal(0)))

    def get_can_change(self, assessment: Assessment) -> bool:
        return authoring.may_manage(self.context["request"].user, assessment)


class AssessmentDetailOutput(AssessmentOutput):
    forms = serializers.SerializerMethodField()

    def get_forms(self, assessment: Assessment) -> list[dict[str, Any]]:
        forms = (
            Form.objects.filter(assessment=assessment).annotate(item_count=Count("form_items")).order_by("kind", "code")
        )
        return FormSummaryOutput(forms, many=True).data


class FormItemOutput(serializers.Serializer):
    position = serializers.IntegerField()
    part = serializers.IntegerField()
    master_position = serializers.IntegerField(allow_null=True)
    item = serializers.IntegerField(source="item_version.item_id")
    version = serializers.IntegerField(source="item_version.number")
    item_type = serializers.CharField(source="item_version.item.item_type")
    level = serializers.CharField(source="item_version.item.level")
    topic = serializers.IntegerField(source="item_version.item.topic_id", allow_null=True)
    title = serializers.CharField(source="item_version.item.title")
    points = serializers.DecimalField(max_digits=6, decimal_places=2)
    trial = serializers.BooleanField(help_text="A trial item: delivered and calibrated, never counted.")


class FormOutput(serializers.Serializer):
    id = serializers.IntegerField()
    assessment = serializers.IntegerField(source="assessment_id")
    code = serializers.CharField()
    kind = serializers.CharField()
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    blueprint = serializers.IntegerField(source="blueprint_id", allow_null=True)
    seed = serializers.IntegerField(allow_null=True)
    frozen = serializers.SerializerMethodField()
    test_codes = serializers.SerializerMethodField()
    items = FormItemOutput(source="form_items", many=True)

    def get_frozen(self, form: Form) -> bool:
        return authoring.form_is_frozen(form)

    def get_test_codes(self, form: Form) -> list[dict[str, Any]]:
        return [{"id": code.pk, "code": code.code} for code in form.test_codes.order_by("code")]


class DrawPickOutput(serializers.Serializer):
    item = serializers.IntegerField(source="item_id")
    version = serializers.IntegerField(source="version_id")
    topic = serializers.IntegerField(source="topic_id")
    level = serializers.CharField()
    item_type = serializers.CharField()
    exposure = serializers.IntegerField()


class DrawCellOutput(serializers.Serializer):
    part = serializers.IntegerField(source="cell.part")
    topic = serializers.IntegerField(source="cell.topic")
    level = serializers.CharField(source="cell.level")
    needed = serializers.IntegerField(source="cell.count")
    fitting = serializers.IntegerField()
    taken_elsewhere = serializers.IntegerField()
    enemies = serializers.IntegerField()
    shortfall = serializers.IntegerField()
    picked = DrawPickOutput(many=True)


class AssessmentsOutput(serializers.Serializer):
    results = AssessmentOutput(many=True)


class FormsOutput(serializers.Serializer):
    results = FormSummaryOutput(many=True)


class PresetPartOutput(serializers.Serializer):
    label = serializers.CharField()
    item_type = serializers.CharField()
    item_count = serializers.IntegerField()
    points_per_item = serializers.CharField()
    scoring = serializers.CharField()


class PresetOutput(serializers.Serializer):
    """``assess.presets.preset_data``."""

    key = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    record_entry_type = serializers.CharField()
    score_step = serializers.CharField()
    duration_minutes = serializers.IntegerField()
    subjects = serializers.ListField(child=serializers.CharField())
    total_points = serializers.CharField()
    parts = PresetPartOutput(many=True)


class PresetsOutput(serializers.Serializer):
    results = PresetOutput(many=True)


class ShortfallMessageOutput(serializers.Serializer):
    """``assess.authoring.shortfall_messages``: a cell the draw could not fill."""

    part = serializers.IntegerField()
    topic = serializers.IntegerField()
    level = serializers.CharField()
    needed = serializers.IntegerField()
    found = serializers.IntegerField()
    fitting = serializers.IntegerField()
    taken_elsewhere = serializers.IntegerField()
    enemies = serializers.IntegerField()
    message = serializers.CharField()


class DrawOutput(serializers.Serializer):
    seed = serializers.IntegerField(help_text="Draw again with it for the same items.")
    shortfall = serializers.IntegerField()
    shortfalls = ShortfallMessageOutput(many=True)
    cells = DrawCellOutput(many=True)
    form = FormOutput(allow_null=True, help_text="null for a dry run.")


class KeyTableOutput(serializers.Serializer):
    code = serializers.CharField()
    keys = serializers.ListField(child=serializers.CharField(), help_text="keys[i]: the key of position i + 1.")
    master_positions = serializers.ListField(child=serializers.IntegerField())


class KeyTablesOutput(serializers.Serializer):
    """``assess.test_codes.key_tables``."""

    master = serializers.CharField()
    positions = serializers.IntegerField()
    codes = KeyTableOutput(many=True)


class FormPreviewOutput(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    items = StudentItemOutput(many=True)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _assessments(request: Request):
    return (
        authoring.assessments_visible_to(request.user)
        .select_related("subject", "organisation")
        .prefetch_related("parts")
    )


def _forms(request: Request):
    return Form.objects.filter(assessment__in=authoring.assessments_visible_to(request.user)).select_related(
        "assessment"
    )


def _form_detail(request: Request, form_id: int) -> dict[str, Any]:
    form = (
        _forms(request)
        .prefetch_related(
            Prefetch(
                "form_items",
                queryset=FormItem.objects.select_related("item_version__item").order_by("position"),
            )
        )
        .get(pk=form_id)
    )
    return FormOutput(form).data


def _managed_form(request: Request, form_id: int) -> Form:
    form = _forms(request).get(pk=form_id)
    authoring.require_manager(request.user, form.assessment)
    return form


# --- views -------------------------------------------------------------------------------------


@extend_schema(responses={200: PresetsOutput})
@api_view(["GET"])
@permission_classes([IsAssessor])
def preset_list(request: Request) -> Response:
    return Response({"results": [presets.preset_data(preset) for preset in presets.PRESETS.values()]})


class AssessmentListParams(serializers.Serializer):
    subject = serializers.CharField(max_length=40, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=Assessment.Kind.values, required=False)
    school_year = serializers.CharField(max_length=9, required=False, allow_blank=True)


@extend_schema(
    methods=["GET"],
    parameters=[AssessmentListParams],
    responses={200: AssessmentsOutput},
    operation_id="assessments_list",
)
@extend_schema(methods=["POST"], request=AssessmentInput, responses={201: AssessmentDetailOutput})
@api_view(["GET", "POST"])
@permission_classes([IsAssessor])
def assessment_list(request: Request) -> Response:
    if request.method == "POST":
        assessment = authoring.assessment_create(by=request.user, spec=_spec(request))
        return Response(
            AssessmentDetailOutput(_assessments(request).get(pk=assessment.pk), context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )
    params = _valid(AssessmentListParams, request.query_params)
    queryset = _assessments(request).order_by("-created_at", "-id")
    if params.get("subject"):
        queryset = queryset.filter(subject__code=params["subject"])
    if params.get("kind"):
        queryset = queryset.filter(kind=params["kind"])
    if params.get("school_year"):
        queryset = queryset.filter(school_year=params["school_year"])
    return Response({"results": AssessmentOutput(queryset[:500], many=True, context={"request": request}).data})


@extend_schema(methods=["GET"], responses={200: AssessmentDetailOutput})
@extend_schema(methods=["PUT"], request=AssessmentInput, responses={200: AssessmentDetailOutput})
@extend_schema(methods=["DELETE"], responses={204: None})
@api_view(["GET", "PUT", "DELETE"])
@permission_classes([IsAssessor])
def assessment_detail(request: Request, assessment_id: int) -> Response:
    assessment = _assessments(request).get(pk=assessment_id)
    if request.method == "DELETE":
        authoring.assessment_delete(by=request.user, assessment_id=assessment.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
    if request.method == "PUT":
        authoring.assessment_update(by=request.user, assessment_id=assessment.pk, spec=_spec(request))
        assessment = _assessments(request).get(pk=assessment.pk)
    return Response(AssessmentDetailOutput(assessment, context={"request": request}).data)


@extend_schema(request=SectionsInput, responses={200: AssessmentDetailOutput})
@api_view(["PUT"])
@permission_classes([IsAssessor])
def assessment_sections(request: Request, assessment_id: int) -> Response:
    """How the parts are delivered: each part's time limit, navigation and break after it
    (one entry per part, in order). Until a sitting opens, even once forms exist."""
    assessment = _assessments(request).get(pk=assessment_id)
    data = _valid(SectionsInput, request.data)
    authoring.assessment_set_sections(
        by=request.user,
        assessment_id=assessment.pk,
        sections=[authoring.SectionSpec(**part) for part in data["parts"]],
    )
    assessment = _assessments(request).get(pk=assessment.pk)
    return Response(AssessmentDetailOutput(assessment, context={"request": request}).data)


@extend_schema(methods=["GET"], responses={200: FormsOutput})
@extend_schema(methods=["POST"], request=FormInput, responses={201: FormOutput})
@api_view(["GET", "POST"])
@permission_classes([IsAssessor])
def form_list(request: Request, assessment_id: int) -> Response:
    assessment = _assessments(request).get(pk=assessment_id)
    if request.method == "GET":
        return Response({"results": AssessmentDetailOutput(assessment, context={"request": request}).data["forms"]})
    data = _valid(FormInput, request.data)
    form = authoring.form_build(by=request.user, assessment_id=assessment.pk, code=data["code"], item_ids=data["parts"])
    return Response(_form_detail(request, form.pk), status=status.HTTP_201_CREATED)


@extend_schema(
    request=DrawInput,
    responses={
        200: OpenApiResponse(DrawOutput, description="A dry run: nothing written."),
        201: DrawOutput,
        400: OpenApiResponse(ErrorSerializer, description="invalid, or shortfall (with seed and shortfalls)"),
    },
)
@api_view(["POST"])
@permission_classes([IsAssessor])
def form_draw(request: Request, assessment_id: int) -> Response:
    """Draw a master form from a blueprint; ``dry_run`` shows the draw and writes nothing."""
    assessment = _assessments(request).get(pk=assessment_id)
    data = _valid(DrawInput, request.data)
    try:
        draw = authoring.form_draw(
            by=request.user,
            assessment_id=assessment.pk,
            blueprint_id=data["blueprint"],
            code=data["code"],
            seed=data["seed"],
            dry_run=data["dry_run"],
        )
    except authoring.DrawShortfall as shortfall:
        body = error_body(
            "shortfall", "; ".join(r["message"] for r in shortfall.reports), {"blueprint": shortfall.messages}
        )
        body["seed"] = shortfall.draw.seed
        body["shortfalls"] = shortfall.reports
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    blueprint = Blueprint.objects.get(pk=data["blueprint"])
    body = {
        "seed": draw.seed,
        "shortfall": draw.shortfall,
        "shortfalls": authoring.shortfall_messages(draw, blueprint),
        "cells": DrawCellOutput(draw.cells, many=True).data,
        "form": _form_detail(request, draw.form.pk) if draw.form else None,
    }
    return Response(body, status=status.HTTP_200_OK if data["dry_run"] else status.HTTP_201_CREATED)


@extend_schema(methods=["GET"], responses={200: FormOutput})
@extend_schema(methods=["PUT"], request=FormReplaceInput, responses={200: FormOutput})
@extend_schema(methods=["DELETE"], responses={204: None})
@api_view(["GET", "PUT", "DELETE"])
@permission_classes([IsAssessor])
def form_detail(request: Request, form_id: int) -> Response:
    if request.method == "GET":
        return Response(_form_detail(request, form_id))
    form = _managed_form(request, form_id)
    if request.method == "DELETE":
        authoring.form_delete(by=request.user, form_id=form.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
    data = _valid(FormReplaceInput, request.data)
    authoring.form_replace_items(by=request.user, form_id=form.pk, item_ids=data["parts"], code=data.get("code"))
    return Response(_form_detail(request, form.pk))


@extend_schema(request=TrialInput, responses={200: FormOutput})
@api_view(["PUT"])
@permission_classes([IsAssessor])
def form_trial(request: Request, form_id: int) -> Response:
    """Set a master form's trial items (and its test codes'), before a sitting of it opens."""
    form = _managed_form(request, form_id)
    data = _valid(TrialInput, request.data)
    authoring.form_set_trial(by=request.user, form_id=form.pk, positions=data["positions"])
    return Response(_form_detail(request, form.pk))


class CodesJobOutput(serializers.Serializer):
    job = JobOutput(
        help_text="The codes being made: follow them at GET /api/jobs/<id>/; the result names the form and its codes."
    )


@extend_schema(request=CodesInput, responses={202: CodesJobOutput})
@api_view(["POST"])
@permission_classes([IsAssessor])
def form_codes(request: Request, form_id: int) -> Response:
    """Make N test codes of a master form (replacing its codes), as a job (202); what would be
    refused is refused here, at once (400)."""
    form = _managed_form(request, form_id)
    data = _valid(CodesInput, request.data)
    test_codes.codes_check(by=request.user, form=form, count=data["count"], first=data["first"])
    job = job_start(
        by=request.user,
        kind="test_codes",
        params={"form": form.pk, "count": data["count"], "first": data["first"], "seed": data["seed"]},
    )
    return Response({"job": job_data(job)}, status=status.HTTP_202_ACCEPTED)


@extend_schema(responses={200: KeyTablesOutput})
@api_view(["GET"])
@permission_classes([IsAssessor])
def form_keys(request: Request, form_id: int) -> Response:
    """The key table of every test code of a master form (its managers only)."""
    return Response(test_codes.key_tables(_managed_form(request, form_id)))


@extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY})
@api_view(["GET"])
@permission_classes([IsAssessor])
def form_keys_xlsx(request: Request, form_id: int) -> HttpResponse:
    """The key tables as a workbook: one row a code, and the map back to the master form."""
    form = _managed_form(request, form_id)
    response = HttpResponse(
        test_codes.key_tables_xlsx(form),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="keys-{form.assessment_id}-{form.pk}.xlsx"'
    return response


@extend_schema(responses={200: FormPreviewOutput})
@api_view(["GET"])
@permission_classes([IsAssessor])
def form_preview(request: Request, form_id: int) -> Response:
    """A form or a test code exactly as a student is shown it (no key)."""
    form = _forms(request).get(pk=form_id)
    return Response({"id": form.pk, "code": form.code, "items": list(selectors.form_view(form.pk))})
