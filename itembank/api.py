"""REST API of the item bank (thin: parse, authorise, call a service, shape)."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from config.api import error_body

from . import services, workflow
from .models import CognitiveLevel, Item, ItemReviewEvent, ItemVersion, Subject, Topic
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


class TransitionSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


def event_data(event: ItemReviewEvent) -> dict:
    return {
        "id": event.pk,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "by": event.by_id,
        "by_name": event.by.get_full_name() or event.by.get_username(),
        "comment": event.comment,
        "at": event.at.isoformat(),
    }


def _move(request: Request, version_id: int, to: str) -> Response:
    """Parse, authorise by visibility, move; an illegal move answers ``illegal_transition``."""
    version = item_versions_visible_to(request.user).get(pk=version_id)
    # The body is optional (a bare POST moves without a comment); when given it is JSON.
    has_json = (request.content_type or "").startswith("application/json")
    serializer = TransitionSerializer(data=request.data if has_json else {})
    serializer.is_valid(raise_exception=True)
    try:
        version = services.item_version_move(
            by=request.user, version_id=version.pk, to=to, comment=serializer.validated_data["comment"]
        )
    except workflow.IllegalTransition as exc:
        return Response(error_body(exc.code, exc.messages[0]), status=status.HTTP_400_BAD_REQUEST)
    return Response(version_data(version))


@api_view(["POST"])
def version_submit(request: Request, version_id: int) -> Response:
    return _move(request, version_id, workflow.SUBMITTED)


@api_view(["POST"])
def version_approve(request: Request, version_id: int) -> Response:
    return _move(request, version_id, workflow.APPROVED)


@api_view(["POST"])
def version_request_changes(request: Request, version_id: int) -> Response:
    return _move(request, version_id, workflow.CHANGES_REQUESTED)


@api_view(["POST"])
def version_publish(request: Request, version_id: int) -> Response:
    return _move(request, version_id, workflow.PUBLISHED)


@api_view(["POST"])
def version_retire(request: Request, version_id: int) -> Response:
    return _move(request, version_id, workflow.RETIRED)


@api_view(["GET"])
def version_history(request: Request, version_id: int) -> Response:
    version = item_versions_visible_to(request.user).get(pk=version_id)
    events = version.review_events.select_related("by")
    return Response({"results": [event_data(event) for event in events]})
