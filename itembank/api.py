"""REST API of the item bank (thin: parse, authorise, call a service, shape)."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from . import services
from .models import CognitiveLevel, Item, ItemVersion, Subject, Topic
from .rendering import render_rich_text
from .selectors import item_versions_visible_to, items_visible_to


class OptionSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=8)
    text = serializers.CharField(max_length=5000)


class VersionContentSerializer(serializers.Serializer):
    stem = serializers.CharField(max_length=20000)
    options = OptionSerializer(many=True)
    key = serializers.CharField(max_length=8)
    points = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=Decimal("0.01"), required=False)
    irt_a = serializers.FloatField(min_value=0.01, max_value=10, required=False, allow_null=True)
    irt_b = serializers.FloatField(min_value=-10, max_value=10, required=False, allow_null=True)


class ItemCreateSerializer(VersionContentSerializer):
    subject = serializers.SlugRelatedField(slug_field="code", queryset=Subject.objects.all())
    topic = serializers.PrimaryKeyRelatedField(queryset=Topic.objects.all(), required=False, allow_null=True)
    level = serializers.ChoiceField(choices=CognitiveLevel.choices)


class VersionUpdateSerializer(VersionContentSerializer):
    stem = serializers.CharField(max_length=20000, required=False)
    options = OptionSerializer(many=True, required=False)
    key = serializers.CharField(max_length=8, required=False)


def version_data(version: ItemVersion) -> dict:
    return {
        "id": version.pk,
        "item": version.item_id,
        "number": version.number,
        "status": version.status,
        "stem": version.stem,
        "stem_html": render_rich_text(version.stem),
        "options": version.options,
        "key": version.key,
        "points": str(version.points),
        "irt_a": version.irt_a,
        "irt_b": version.irt_b,
        "created_at": version.created_at.isoformat(),
        "published_at": version.published_at.isoformat() if version.published_at else None,
    }


def item_data(item: Item) -> dict:
    versions = list(item.versions.all())
    return {
        "id": item.pk,
        "owner": item.owner_id,
        "subject": item.subject.code,
        "topic": item.topic_id,
        "level": item.level,
        "item_type": item.item_type,
        "versions": [version_data(v) for v in versions],
    }


def _content(data: dict) -> dict:
    content = dict(data)
    if "options" in content:
        content["options"] = [dict(option) for option in content["options"]]
    return content


@api_view(["GET", "POST"])
def items(request: Request) -> Response:
    if request.method == "GET":
        queryset = items_visible_to(request.user).prefetch_related("versions")
        subject = request.query_params.get("subject")
        if subject:
            queryset = queryset.filter(subject__code=subject)
        level = request.query_params.get("level")
        if level:
            queryset = queryset.filter(level=level)
        return Response({"results": [item_data(item) for item in queryset[:500]]})
    serializer = ItemCreateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    version = services.item_create(by=request.user, **_content(serializer.validated_data))
    return Response(item_data(version.item), status=status.HTTP_201_CREATED)


@api_view(["GET"])
def item_detail(request: Request, item_id: int) -> Response:
    item = items_visible_to(request.user).prefetch_related("versions").get(pk=item_id)
    return Response(item_data(item))


@api_view(["POST"])
def item_versions(request: Request, item_id: int) -> Response:
    items_visible_to(request.user).get(pk=item_id)
    serializer = VersionUpdateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    version = services.item_version_create(by=request.user, item_id=item_id, **_content(serializer.validated_data))
    return Response(version_data(version), status=status.HTTP_201_CREATED)


@api_view(["GET", "PATCH"])
def version_detail(request: Request, version_id: int) -> Response:
    version = item_versions_visible_to(request.user).get(pk=version_id)
    if request.method == "GET":
        return Response(version_data(version))
    serializer = VersionUpdateSerializer(data=request.data, partial=True)
    serializer.is_valid(raise_exception=True)
    version = services.item_version_update(
        by=request.user, version_id=version.pk, **_content(serializer.validated_data)
    )
    return Response(version_data(version))


@api_view(["POST"])
def version_publish(request: Request, version_id: int) -> Response:
    version = item_versions_visible_to(request.user).get(pk=version_id)
    version = services.item_version_publish(by=request.user, version_id=version.pk)
    return Response(version_data(version))
