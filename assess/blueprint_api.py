"""REST API of blueprints (thin: authorise, parse, call ``assess.blueprints``, shape).

Teachers, board members and administrators see and write the blueprints of the organisations
they oversee; anyone else is refused (403); a blueprint outside one's organisations does not
exist (404). Validation errors name their field by its path: ``parts.0.cells.2.topic``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from accounts.permissions import IsAuthor
from config.api import Instant
from config.ids import CodeRelatedField, IdField
from itembank.models import Subject
from scoring.item_rules import ITEM_TYPES

from . import blueprints
from .models import Blueprint


class CellSerializer(serializers.Serializer):
    topic = IdField()
    level = serializers.CharField(max_length=20)
    item_count = serializers.IntegerField(min_value=1, max_value=blueprints.MAX_ITEMS_PER_CELL)


class PartSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=blueprints.MAX_LABEL)
    item_type = serializers.ChoiceField(choices=ITEM_TYPES)
    points_per_item = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=Decimal("0.01"), max_value=blueprints.MAX_POINTS_PER_ITEM
    )
    cells = CellSerializer(many=True, allow_empty=False, max_length=blueprints.MAX_CELLS)


class BlueprintSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=blueprints.MAX_TITLE)
    subject = CodeRelatedField(queryset=Subject.objects.all())
    grade = serializers.IntegerField(min_value=1, max_value=12, required=False, allow_null=True, default=None)
    owner = IdField(required=False, allow_null=True, default=None)
    assessment = IdField(required=False, allow_null=True, default=None)
    parts = PartSerializer(many=True, allow_empty=False, max_length=blueprints.MAX_PARTS)

    def validate_parts(self, parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        n_cells = sum(len(part["cells"]) for part in parts)
        if n_cells > blueprints.MAX_CELLS:
            raise serializers.ValidationError(
                _("A blueprint has at most %(max)d cells; this one has %(count)d.")
                % {"max": blueprints.MAX_CELLS, "count": n_cells}
            )
        return parts


def _flat(detail: Any, path: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as ``{"parts.0.cells.2.topic": [...]}``, the services' shape."""
    if isinstance(detail, dict):
        found: dict[str, list[str]] = {}
        for key, value in detail.items():
            # List errors come keyed by index, as ints or in a list; "0" is a name like any other.
            inner = path if key == api_settings.NON_FIELD_ERRORS_KEY and path else f"{path}.{key}" if path else str(key)
            for name, messages in _flat(value, inner).items():
                found.setdefault(name, []).extend(messages)
        return found
    if isinstance(detail, list) and any(isinstance(value, (dict, list)) for value in detail):
        found = {}
        for index, value in enumerate(detail):
            for name, messages in _flat(value, f"{path}.{index}" if path else str(index)).items():
                found.setdefault(name, []).extend(messages)
        return found
    messages = detail if isinstance(detail, list) else [detail]
    return {path or api_settings.NON_FIELD_ERRORS_KEY: [str(message) for message in messages]}


def _spec(request: Request) -> blueprints.BlueprintSpec:
    serializer = BlueprintSerializer(data=request.data)
    if not serializer.is_valid():
        raise serializers.ValidationError(_flat(serializer.errors))
    data = serializer.validated_data
    return blueprints.BlueprintSpec(
        title=data["title"],
        subject_id=data["subject"].pk,
        grade=data["grade"],
        owner_id=data["owner"],
        assessment_id=data["assessment"],
        parts=tuple(
            blueprints.PartSpec(
                label=part["label"],
                item_type=part["item_type"],
                points_per_item=part["points_per_item"],
                cells=tuple(
                    blueprints.CellSpec(topic_id=cell["topic"], level=cell["level"], item_count=cell["item_count"])
                    for cell in part["cells"]
                ),
            )
            for part in data["parts"]
        ),
    )


def _visible(request: Request):
    return blueprints.blueprints_visible_to(request.user).prefetch_related("parts__cells")


def blueprint_data(blueprint: Blueprint, *, cells: bool = True) -> dict[str, Any]:
    parts = list(blueprint.parts.all())
    return {
        "id": blueprint.pk,
        "title": blueprint.title,
        "subject": blueprint.subject.code,
        "grade": blueprint.grade,
        "owner": blueprint.owner_id,
        "assessment": blueprint.assessment_id,
        "created_by": blueprint.created_by_id,
        "created_at": blueprint.created_at.isoformat(),
        "updated_at": blueprint.updated_at.isoformat(),
        "total_items": sum(cell.item_count for part in parts for cell in part.cells.all()),
        "total_points": str(
            sum((cell.item_count * part.points_per_item for part in parts for cell in part.cells.all()), Decimal(0))
        ),
        "parts": [
            {
                "position": part.position,
                "label": part.label,
                "item_type": part.item_type,
                "points_per_item": str(part.points_per_item),
                **(
                    {
                        "cells": [
                            {"topic": cell.topic_id, "level": cell.level, "item_count": cell.item_count}
                            for cell in part.cells.all()
                        ]
                    }
                    if cells
                    else {}
                ),
            }
            for part in parts
        ],
    }


class ListSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=40, required=False, allow_blank=True)


# --- what the calls answer (blueprint_data and assess.blueprints.blueprint_availability) -------


class BlueprintCellOutput(serializers.Serializer):
    topic = serializers.IntegerField()
    level = serializers.CharField()
    item_count = serializers.IntegerField()


class BlueprintPartOutput(serializers.Serializer):
    position = serializers.IntegerField()
    label = serializers.CharField()
    item_type = serializers.CharField()
    points_per_item = serializers.CharField()
    cells = BlueprintCellOutput(many=True, required=False, help_text="Left out of the list.")


class BlueprintOutput(serializers.Serializer):
    """:func:`blueprint_data`."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    subject = serializers.CharField()
    grade = serializers.IntegerField(allow_null=True)
    owner = serializers.IntegerField()
    assessment = serializers.IntegerField(allow_null=True)
    created_by = serializers.IntegerField()
    created_at = Instant()
    updated_at = Instant()
    total_items = serializers.IntegerField()
    total_points = serializers.CharField()
    parts = BlueprintPartOutput(many=True)


class BlueprintsOutput(serializers.Serializer):
    results = BlueprintOutput(many=True)


class CellAvailabilityOutput(serializers.Serializer):
    topic = serializers.IntegerField()
    topic_name = serializers.CharField(allow_blank=True)
    level = serializers.CharField()
    needed = serializers.IntegerField()
    available = serializers.IntegerField()
    shortfall = serializers.IntegerField()
    points = serializers.CharField()
    message = serializers.CharField(required=False, help_text="What the cell lacks, when it lacks items.")


class ShortfallOutput(CellAvailabilityOutput):
    part = serializers.IntegerField()


class PartAvailabilityOutput(serializers.Serializer):
    position = serializers.IntegerField()
    label = serializers.CharField()
    item_type = serializers.CharField()
    points_per_item = serializers.CharField()
    needed = serializers.IntegerField()
    shortfall = serializers.IntegerField()
    points = serializers.CharField()
    cells = CellAvailabilityOutput(many=True)


class LevelShareOutput(serializers.Serializer):
    level = serializers.CharField()
    name = serializers.CharField()
    needed = serializers.IntegerField()
    shortfall = serializers.IntegerField()
    points = serializers.CharField()
    share_of_items = serializers.CharField(allow_null=True, help_text='A percentage: "37.5".')
    share_of_points = serializers.CharField(allow_null=True)


class TopicNeedOutput(serializers.Serializer):
    topic = serializers.IntegerField()
    topic_name = serializers.CharField(allow_blank=True)
    needed = serializers.IntegerField()
    shortfall = serializers.IntegerField()
    points = serializers.CharField()


class SharedCellOutput(serializers.Serializer):
    part = serializers.IntegerField()
    topic = serializers.IntegerField()


class SharedShortfallOutput(serializers.Serializer):
    """Cells of several parts drawing on the same items, which together lack some."""

    topic = serializers.IntegerField()
    topic_name = serializers.CharField(allow_blank=True)
    level = serializers.CharField()
    item_type = serializers.CharField()
    parts = serializers.ListField(child=serializers.IntegerField())
    cells = SharedCellOutput(many=True)
    needed = serializers.IntegerField()
    available = serializers.IntegerField()
    shortfall = serializers.IntegerField()
    message = serializers.CharField()


class AvailabilityOutput(serializers.Serializer):
    """``assess.blueprints.blueprint_availability``."""

    blueprint = serializers.IntegerField()
    subject = serializers.CharField()
    ok = serializers.BooleanField()
    total_items = serializers.IntegerField()
    total_points = serializers.CharField()
    shortfall = serializers.IntegerField()
    parts = PartAvailabilityOutput(many=True)
    levels = LevelShareOutput(many=True)
    topics = TopicNeedOutput(many=True)
    shortfalls = ShortfallOutput(many=True)
    shared_shortfalls = SharedShortfallOutput(many=True)


@extend_schema(
    methods=["GET"], parameters=[ListSerializer], responses={200: BlueprintsOutput}, operation_id="blueprints_list"
)
@extend_schema(methods=["POST"], request=BlueprintSerializer, responses={201: BlueprintOutput})
@api_view(["GET", "POST"])
@permission_classes([IsAuthor])
def blueprint_list(request: Request) -> Response:
    if request.method == "GET":
        queryset = _visible(request)
        params = ListSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        if params.validated_data.get("subject"):
            queryset = queryset.filter(subject__code=params.validated_data["subject"])
        return Response({"results": [blueprint_data(b, cells=False) for b in queryset[:500]]})
    blueprint = blueprints.blueprint_create(by=request.user, spec=_spec(request))
    return Response(blueprint_data(_visible(request).get(pk=blueprint.pk)), status=status.HTTP_201_CREATED)


@extend_schema(methods=["GET"], responses={200: BlueprintOutput})
@extend_schema(methods=["PUT"], request=BlueprintSerializer, responses={200: BlueprintOutput})
@extend_schema(methods=["DELETE"], responses={204: None})
@api_view(["GET", "PUT", "DELETE"])
@permission_classes([IsAuthor])
def blueprint_detail(request: Request, blueprint_id: int) -> Response:
    blueprint = _visible(request).get(pk=blueprint_id)
    if request.method == "GET":
        return Response(blueprint_data(blueprint))
    if request.method == "DELETE":
        blueprints.blueprint_delete(by=request.user, blueprint_id=blueprint.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
    blueprints.blueprint_replace(by=request.user, blueprint_id=blueprint.pk, spec=_spec(request))
    return Response(blueprint_data(_visible(request).get(pk=blueprint.pk)))


@extend_schema(responses={200: AvailabilityOutput})
@api_view(["GET"])
@permission_classes([IsAuthor])
def blueprint_availability(request: Request, blueprint_id: int) -> Response:
    blueprint = blueprints.blueprints_visible_to(request.user).get(pk=blueprint_id)
    return Response(blueprints.blueprint_availability(blueprint, request.user))
