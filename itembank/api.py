"""REST API of the item bank (thin: parse, authorise, call a service, shape)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from config.api import error_body

from . import content, services, workflow
from .media import media_store
from .models import Item, ItemReviewEvent, ItemType, ItemVersion, Stimulus, Subject, Topic, Visibility
from .preview import student_preview
from .selectors import item_versions_visible_to, items_visible_to, user_can_edit_item


class VersionContentSerializer(serializers.Serializer):
    """A version's content document is checked by ``itembank.content`` (per item type)."""

    content = serializers.JSONField()
    points = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=Decimal("0.01"), required=False)
    stimulus = serializers.PrimaryKeyRelatedField(queryset=Stimulus.objects.all(), required=False, allow_null=True)
    irt_a = serializers.FloatField(min_value=0.01, max_value=10, required=False, allow_null=True)
    irt_b = serializers.FloatField(min_value=-10, max_value=10, required=False, allow_null=True)


class ItemMetadataSerializer(serializers.Serializer):
    topic = serializers.PrimaryKeyRelatedField(queryset=Topic.objects.all(), required=False, allow_null=True)
    level = serializers.CharField(max_length=20, required=False)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    grade = serializers.IntegerField(min_value=1, max_value=12, required=False, allow_null=True)
    learning_outcome = serializers.CharField(max_length=500, required=False, allow_blank=True)
    expected_seconds = serializers.IntegerField(min_value=1, max_value=4 * 3600, required=False, allow_null=True)
    source = serializers.CharField(max_length=300, required=False, allow_blank=True)
    language = serializers.CharField(max_length=10, required=False)


class ItemCreateSerializer(VersionContentSerializer, ItemMetadataSerializer):
    subject = serializers.SlugRelatedField(slug_field="code", queryset=Subject.objects.all())
    level = serializers.CharField(max_length=20)
    item_type = serializers.ChoiceField(choices=ItemType.choices, default=ItemType.SINGLE_CHOICE)


class VersionUpdateSerializer(VersionContentSerializer):
    content = serializers.JSONField(required=False)


def version_data(version: ItemVersion, *, item: Item | None = None) -> dict:
    item = item or version.item
    return {
        "id": version.pk,
        "item": version.item_id,
        "number": version.number,
        "status": version.status,
        "item_type": item.item_type,
        "content": version.content,
        "key_summary": content.key_summary(item.item_type, version.content),
        "preview": student_preview(version, item=item),
        "stimulus": version.stimulus_id,
        "points": str(version.points),
        "irt_a": version.irt_a,
        "irt_b": version.irt_b,
        "irt_c": version.irt_c,
        "irt_calibration": version.irt_calibration,
        "irt_calibrated_at": version.irt_calibrated_at.isoformat() if version.irt_calibrated_at else None,
        "created_by": version.created_by_id,
        "created_at": version.created_at.isoformat(),
        "published_at": version.published_at.isoformat() if version.published_at else None,
    }


def item_data(item: Item, *, user=None) -> dict:
    versions = list(item.versions.all())
    return {
        "id": item.pk,
        "owner": item.owner_id,
        "owner_name": item.owner.name,
        "author": item.author_id,
        "subject": item.subject.code,
        "topic": item.topic_id,
        "level": item.level,
        "item_type": item.item_type,
        "visibility": item.visibility,
        "title": item.title,
        "grade": item.grade,
        "learning_outcome": item.learning_outcome,
        "expected_seconds": item.expected_seconds,
        "source": item.source,
        "language": item.language,
        "editable": user_can_edit_item(user, item) if user is not None else None,
        "versions": [version_data(v, item=item) for v in versions],
    }


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
        return Response({"results": [item_data(item, user=request.user) for item in queryset[:100]]})
    serializer = ItemCreateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    version = services.item_create(by=request.user, **serializer.validated_data)
    return Response(item_data(version.item, user=request.user), status=status.HTTP_201_CREATED)


@api_view(["GET", "PATCH"])
def item_detail(request: Request, item_id: int) -> Response:
    item = items_visible_to(request.user).prefetch_related("versions").get(pk=item_id)
    if request.method == "PATCH":
        serializer = ItemMetadataSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        item = services.item_update(by=request.user, item_id=item.pk, **serializer.validated_data)
    return Response(item_data(item, user=request.user))


@api_view(["POST"])
def item_versions(request: Request, item_id: int) -> Response:
    items_visible_to(request.user).get(pk=item_id)
    serializer = VersionUpdateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    version = services.item_version_create(by=request.user, item_id=item_id, **serializer.validated_data)
    return Response(version_data(version), status=status.HTTP_201_CREATED)


@api_view(["GET", "PATCH"])
def version_detail(request: Request, version_id: int) -> Response:
    version = item_versions_visible_to(request.user).get(pk=version_id)
    if request.method == "GET":
        return Response(version_data(version))
    serializer = VersionUpdateSerializer(data=request.data, partial=True)
    serializer.is_valid(raise_exception=True)
    version = services.item_version_update(by=request.user, version_id=version.pk, **serializer.validated_data)
    return Response(version_data(version))


@api_view(["GET"])
def version_diff(request: Request, version_id: int) -> Response:
    """What changed from another version of the same item (default: the one before)."""
    version = item_versions_visible_to(request.user).get(pk=version_id)
    against = request.query_params.get("against")
    others = ItemVersion.objects.filter(item_id=version.item_id)
    if against:
        if not against.isdigit():
            return Response(error_body("invalid", "against must be a version id."), status=400)
        base = others.get(pk=int(against))
    else:
        base = others.filter(number__lt=version.number).order_by("-number").first()
    if base is None:
        return Response({"base": None, "version": version.pk, "changes": []})
    item_type = version.item.item_type
    changes = content.content_diff(item_type, base.content, item_type, version.content)
    for field in ("points", "stimulus_id", "irt_a", "irt_b", "irt_c"):
        before, after = getattr(base, field), getattr(version, field)
        if before != after:
            changes.append({"field": field.removesuffix("_id"), "before": str(before), "after": str(after)})
    return Response({"base": base.pk, "base_number": base.number, "version": version.pk, "changes": changes})


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


class MediaUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    alt_text = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


@api_view(["POST"])
def media_upload(request: Request) -> Response:
    """Store an image or audio clip for the user's organisation; text refers to it as ``media:<id>``."""
    if not request.user.has_role(*services.AUTHOR_ROLES) or request.user.organisation_id is None:
        raise PermissionDenied("Only authors of an organisation add media.")
    serializer = MediaUploadSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    upload = serializer.validated_data["file"]
    limit = max(settings.MEDIA_IMAGE_MAX_BYTES, settings.MEDIA_AUDIO_MAX_BYTES)
    if upload.size > limit:
        return Response(error_body("too_large", f"The file is over {limit} bytes."), status=413)
    stored = media_store(
        by=request.user,
        owner_id=request.user.organisation_id,
        name=upload.name,
        data=upload.read(),
        alt_text=serializer.validated_data["alt_text"],
    )
    return Response(
        {"id": str(stored.pk), "url": stored.url, "ref": f"media:{stored.pk}", "type": stored.content_type},
        status=status.HTTP_201_CREATED,
    )
