"""REST API of the item bank (thin: parse, authorise, call a service, shape)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsAuthor, IsBoard, scope_of
from config.api import ErrorSerializer, Instant, error_body
from config.ids import CodeRelatedField, IdField

from . import content, services, textsearch, workflow
from .media import media_store
from .models import Item, ItemReviewEvent, ItemType, ItemVersion, Stimulus, Subject, Topic, Visibility, cognitive_levels
from .preview import media_url, student_preview
from .rendering import render_excerpt
from .selectors import can_edit_item, item_versions_visible_to, items_editable_by, items_visible_to


class VersionContentSerializer(serializers.Serializer):
    """A version's content document is checked by ``itembank.content`` (per item type)."""

    content = serializers.JSONField()
    points = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=Decimal("0.01"), required=False)
    stimulus = serializers.PrimaryKeyRelatedField(
        queryset=Stimulus.objects.all(), pk_field=IdField(), required=False, allow_null=True
    )

    def validate(self, attrs: dict) -> dict:
        # IRT parameters come from a calibration, recorded by the exam board (version_calibration).
        refused = sorted(name for name in self.initial_data if str(name).startswith("irt_"))
        if refused:
            message = _("IRT parameters are recorded by the exam board from a calibration, not by authors.")
            raise serializers.ValidationError({name: [message] for name in refused})
        return attrs


class ItemMetadataSerializer(serializers.Serializer):
    topic = serializers.PrimaryKeyRelatedField(
        queryset=Topic.objects.all(), pk_field=IdField(), required=False, allow_null=True
    )
    level = serializers.CharField(max_length=20, required=False)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    grade = serializers.IntegerField(min_value=1, max_value=12, required=False, allow_null=True)
    learning_outcome = serializers.CharField(max_length=500, required=False, allow_blank=True)
    expected_seconds = serializers.IntegerField(min_value=1, max_value=4 * 3600, required=False, allow_null=True)
    source = serializers.CharField(max_length=300, required=False, allow_blank=True)
    language = serializers.CharField(max_length=10, required=False)


class ItemCreateSerializer(VersionContentSerializer, ItemMetadataSerializer):
    subject = CodeRelatedField(queryset=Subject.objects.all())
    level = serializers.CharField(max_length=20)
    item_type = serializers.ChoiceField(choices=ItemType.choices, default=ItemType.SINGLE_CHOICE)


class VersionUpdateSerializer(VersionContentSerializer):
    content = serializers.JSONField(required=False)


# --- what the calls answer (the dicts of the functions below, described for the API's schema) ----


class StimulusViewOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    html = serializers.CharField()


class StudentItemOutput(serializers.Serializer):
    """An item as a student is shown it (``itembank.content.student_view``; docs/protocol.md,
    "Items of each type"): these fields, and the fields of its type."""

    item = serializers.IntegerField(help_text="Its position on the form, from 1.")
    points = serializers.CharField()
    type = serializers.ChoiceField(choices=ItemType.choices)
    stem_html = serializers.CharField()
    stimulus = StimulusViewOutput(allow_null=True)


class VersionOutput(serializers.Serializer):
    """:func:`version_data`."""

    id = serializers.IntegerField()
    item = serializers.IntegerField()
    number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ItemVersion.Status.choices)
    item_type = serializers.ChoiceField(choices=ItemType.choices)
    content = serializers.DictField(help_text="The item's document, as its type defines it (docs/itembank.md).")
    key_summary = serializers.CharField()
    preview = StudentItemOutput()
    stimulus = serializers.IntegerField(allow_null=True)
    points = serializers.CharField()
    irt_a = serializers.FloatField(allow_null=True)
    irt_b = serializers.FloatField(allow_null=True)
    irt_c = serializers.FloatField(allow_null=True)
    irt_calibration = serializers.CharField(allow_blank=True)
    irt_calibrated_at = Instant(allow_null=True)
    created_by = serializers.IntegerField()
    created_at = Instant()
    published_at = Instant(allow_null=True)


class LatestVersionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ItemVersion.Status.choices)
    status_label = serializers.CharField()
    text = serializers.CharField(allow_blank=True)
    text_html = serializers.CharField(allow_blank=True)
    key_summary = serializers.CharField(allow_blank=True)


class ItemSummaryOutput(serializers.Serializer):
    """:func:`item_summary`."""

    id = serializers.IntegerField()
    subject = serializers.CharField()
    subject_name = serializers.CharField()
    topic = serializers.IntegerField(allow_null=True)
    topic_name = serializers.CharField(allow_blank=True)
    level = serializers.CharField()
    level_label = serializers.CharField()
    item_type = serializers.ChoiceField(choices=ItemType.choices)
    item_type_label = serializers.CharField()
    visibility = serializers.ChoiceField(choices=Visibility.choices)
    title = serializers.CharField(allow_blank=True)
    grade = serializers.IntegerField(allow_null=True)
    owner_name = serializers.CharField()
    author_name = serializers.CharField()
    editable = serializers.BooleanField()
    latest = LatestVersionOutput(allow_null=True)


class ItemOutput(ItemSummaryOutput):
    """:func:`item_data`."""

    owner = serializers.IntegerField()
    author = serializers.IntegerField()
    learning_outcome = serializers.CharField(allow_blank=True)
    expected_seconds = serializers.IntegerField(allow_null=True)
    source = serializers.CharField(allow_blank=True)
    language = serializers.CharField()
    versions = VersionOutput(many=True)


class ItemPageOutput(serializers.Serializer):
    results = ItemSummaryOutput(many=True)
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()


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


def item_data(item: Item, *, user) -> dict:
    versions = sorted(item.versions.all(), key=lambda v: v.number)
    return {
        **item_summary(item, user=user),
        "owner": item.owner_id,
        "author": item.author_id,
        "learning_outcome": item.learning_outcome,
        "expected_seconds": item.expected_seconds,
        "source": item.source,
        "language": item.language,
        "versions": [version_data(v, item=item) for v in versions],
    }


PAGE_SIZE = 25


class SearchSerializer(serializers.Serializer):
    q = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    subject = CodeRelatedField(queryset=Subject.objects.all(), required=False)
    topic = IdField(required=False)
    level = serializers.CharField(max_length=20, required=False)
    item_type = serializers.ChoiceField(choices=ItemType.choices, required=False)
    status = serializers.ChoiceField(choices=ItemVersion.Status.choices, required=False)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    grade = serializers.IntegerField(min_value=1, max_value=12, required=False)
    mine = serializers.BooleanField(required=False, default=False)
    page = serializers.IntegerField(min_value=1, max_value=10_000, required=False, default=1)


def text_excerpt(item_type: str, document: dict) -> dict:
    """A version's student-visible text for a list row: ``text`` plain (its first 200
    characters, LaTeX as typed), ``text_html`` the same start with its formulas as MathML
    (escaped and sanitised on the server: a script may insert it as HTML)."""
    text = content.search_text(item_type, document)
    return {"text": text[:200], "text_html": str(render_excerpt(text, limit=200))}


def item_summary(item: Item, *, user) -> dict:
    versions = sorted(item.versions.all(), key=lambda v: v.number)
    latest = versions[-1] if versions else None
    return {
        "id": item.pk,
        "subject": item.subject.code,
        "subject_name": item.subject.name,
        "topic": item.topic_id,
        "topic_name": item.topic.name if item.topic_id else "",
        "level": item.level,
        "level_label": item.level_label,
        "item_type": item.item_type,
        "item_type_label": item.get_item_type_display(),
        "visibility": item.visibility,
        "title": item.title,
        "grade": item.grade,
        "owner_name": item.owner.name,
        "author_name": item.author.get_full_name() or item.author.get_username(),
        "editable": can_edit_item(scope_of(user), item),
        "latest": None
        if latest is None
        else {
            "id": latest.pk,
            "number": latest.number,
            "status": latest.status,
            "status_label": latest.get_status_display(),
            **text_excerpt(item.item_type, latest.content),
            "key_summary": content.key_summary(item.item_type, latest.content),
        },
    }


@extend_schema(
    methods=["GET"], parameters=[SearchSerializer], responses={200: ItemPageOutput}, operation_id="items_list"
)
@extend_schema(methods=["POST"], request=ItemCreateSerializer, responses={201: ItemOutput})
@api_view(["GET", "POST"])
@permission_classes([IsAuthor])
def items(request: Request) -> Response:
    if request.method == "GET":
        params = SearchSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        query = dict(params.validated_data)
        page, mine, subject = query.pop("page"), query.pop("mine"), query.pop("subject", None)
        found = textsearch.search_items(
            request.user, subject=subject.pk if subject else None, author=request.user.pk if mine else None, **query
        )
        count = found.count()
        rows = found.select_related("author").prefetch_related("versions")[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return Response(
            {
                "results": [item_summary(item, user=request.user) for item in rows],
                "count": count,
                "page": page,
                "pages": max(1, -(-count // PAGE_SIZE)),
            }
        )
    serializer = ItemCreateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    version = services.item_create(by=request.user, **serializer.validated_data)
    return Response(item_data(version.item, user=request.user), status=status.HTTP_201_CREATED)


@extend_schema(methods=["GET"], responses={200: ItemOutput})
@extend_schema(methods=["PATCH"], request=ItemMetadataSerializer, responses={200: ItemOutput})
@api_view(["GET", "PATCH"])
@permission_classes([IsAuthor])
def item_detail(request: Request, item_id: int) -> Response:
    item = items_visible_to(request.user).prefetch_related("versions").get(pk=item_id)
    if request.method == "PATCH":
        serializer = ItemMetadataSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        item = services.item_update(by=request.user, item_id=item.pk, **serializer.validated_data)
    return Response(item_data(item, user=request.user))


@extend_schema(request=VersionUpdateSerializer, responses={201: VersionOutput})
@api_view(["POST"])
@permission_classes([IsAuthor])
def item_versions(request: Request, item_id: int) -> Response:
    items_visible_to(request.user).get(pk=item_id)
    serializer = VersionUpdateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    version = services.item_version_create(by=request.user, item_id=item_id, **serializer.validated_data)
    return Response(version_data(version), status=status.HTTP_201_CREATED)


@extend_schema(methods=["GET"], responses={200: VersionOutput})
@extend_schema(methods=["PATCH"], request=VersionUpdateSerializer, responses={200: VersionOutput})
@api_view(["GET", "PATCH"])
@permission_classes([IsAuthor])
def version_detail(request: Request, version_id: int) -> Response:
    version = item_versions_visible_to(request.user).get(pk=version_id)
    if request.method == "GET":
        return Response(version_data(version))
    serializer = VersionUpdateSerializer(data=request.data, partial=True)
    serializer.is_valid(raise_exception=True)
    version = services.item_version_update(by=request.user, version_id=version.pk, **serializer.validated_data)
    return Response(version_data(version))


class DiffSerializer(serializers.Serializer):
    against = IdField(required=False)


class ChangeOutput(serializers.Serializer):
    field = serializers.CharField(help_text="stem, options[2].text, keys.b, points, stimulus, irt_a, ...")
    before = serializers.CharField(allow_blank=True)
    after = serializers.CharField(allow_blank=True)
    html = serializers.CharField(required=False, help_text="The change with <del>/<ins> marks (content fields).")


class DiffOutput(serializers.Serializer):
    base = serializers.IntegerField(allow_null=True, help_text="null: the first version, nothing to compare.")
    base_number = serializers.IntegerField(required=False)
    version = serializers.IntegerField()
    changes = ChangeOutput(many=True)


@extend_schema(parameters=[DiffSerializer], responses={200: DiffOutput})
@api_view(["GET"])
@permission_classes([IsAuthor])
def version_diff(request: Request, version_id: int) -> Response:
    """What changed from another version of the same item (default: the one before)."""
    version = item_versions_visible_to(request.user).get(pk=version_id)
    params = DiffSerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    against = params.validated_data.get("against")
    others = ItemVersion.objects.filter(item_id=version.item_id)
    if against:
        base = others.get(pk=against)
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


class ReviewEventOutput(serializers.Serializer):
    """:func:`event_data`."""

    id = serializers.IntegerField()
    from_status = serializers.CharField(allow_blank=True)
    to_status = serializers.CharField()
    by = serializers.IntegerField()
    by_name = serializers.CharField()
    comment = serializers.CharField(allow_blank=True)
    at = Instant()


class EditOutput(serializers.Serializer):
    by = serializers.IntegerField()
    by_name = serializers.CharField()
    fields = serializers.ListField(child=serializers.CharField())
    at = Instant()


class HistoryOutput(serializers.Serializer):
    results = ReviewEventOutput(many=True)
    edits = EditOutput(many=True)


# Each review move: an optional JSON body with a comment; 400 illegal_transition when the
# version's status does not allow it.
MOVE_SCHEMA = extend_schema(request=TransitionSerializer, responses={200: VersionOutput})


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


@MOVE_SCHEMA
@api_view(["POST"])
@permission_classes([IsAuthor])
def version_submit(request: Request, version_id: int) -> Response:
    return _move(request, version_id, workflow.SUBMITTED)


@MOVE_SCHEMA
@api_view(["POST"])
@permission_classes([IsAuthor])
def version_approve(request: Request, version_id: int) -> Response:
    return _move(request, version_id, workflow.APPROVED)


@MOVE_SCHEMA
@api_view(["POST"])
@permission_classes([IsAuthor])
def version_request_changes(request: Request, version_id: int) -> Response:
    return _move(request, version_id, workflow.CHANGES_REQUESTED)


@MOVE_SCHEMA
@api_view(["POST"])
@permission_classes([IsAuthor])
def version_publish(request: Request, version_id: int) -> Response:
    return _move(request, version_id, workflow.PUBLISHED)


@MOVE_SCHEMA
@api_view(["POST"])
@permission_classes([IsAuthor])
def version_retire(request: Request, version_id: int) -> Response:
    return _move(request, version_id, workflow.RETIRED)


@extend_schema(responses={200: HistoryOutput})
@api_view(["GET"])
@permission_classes([IsAuthor])
def version_history(request: Request, version_id: int) -> Response:
    version = item_versions_visible_to(request.user).get(pk=version_id)
    events = version.review_events.select_related("by")
    edits = version.edits.select_related("by")
    return Response(
        {
            "results": [event_data(event) for event in events],
            "edits": [
                {
                    "by": edit.by_id,
                    "by_name": edit.by.get_full_name() or edit.by.get_username(),
                    "fields": edit.fields,
                    "at": edit.at.isoformat(),
                }
                for edit in edits
            ],
        }
    )


class MediaUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    alt_text = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class MediaOutput(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField()
    ref = serializers.CharField(help_text="What item text writes to show it: media:<id>.")
    type = serializers.CharField(help_text="Its content type: image/png, audio/mpeg, ...")


@extend_schema(request=MediaUploadSerializer, responses={201: MediaOutput, 413: ErrorSerializer})
@api_view(["POST"])
@permission_classes([IsAuthor])
@parser_classes([MultiPartParser])
def media_upload(request: Request) -> Response:
    """Store an image or audio clip for the user's organisation; text refers to it as ``media:<id>``."""
    if request.user.organisation_id is None:
        raise PermissionDenied(_("Media belong to an organisation, and you have none."))
    serializer = MediaUploadSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    upload = serializer.validated_data["file"]
    limit = max(settings.MEDIA_IMAGE_MAX_BYTES, settings.MEDIA_AUDIO_MAX_BYTES)
    if upload.size > limit:
        return Response(error_body("too_large", _("The file is over %(limit)s bytes.") % {"limit": limit}), status=413)
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


# --- authoring helpers: preview, near-duplicates, review queue, vocabulary -----------------------


class PreviewSerializer(serializers.Serializer):
    item_type = serializers.ChoiceField(choices=ItemType.choices)
    content = serializers.JSONField()
    points = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=Decimal("0.01"), default=Decimal("1"))


class PreviewOutput(serializers.Serializer):
    preview = StudentItemOutput()
    key_summary = serializers.CharField()


@extend_schema(request=PreviewSerializer, responses={200: PreviewOutput})
@api_view(["POST"])
@permission_classes([IsAuthor])
def item_preview(request: Request) -> Response:
    """What a student would see of unsaved content: checked exactly as a save would check it."""
    serializer = PreviewSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    item_type = serializer.validated_data["item_type"]
    document = content.validate_content(
        item_type, serializer.validated_data["content"], serializer.validated_data["points"]
    )
    view = content.student_view(item_type, document, seed=0, media_url=media_url)
    preview = {"item": 1, "points": str(serializer.validated_data["points"]), **view, "stimulus": None}
    return Response({"preview": preview, "key_summary": content.key_summary(item_type, document)})


class NearDuplicateSerializer(serializers.Serializer):
    subject = CodeRelatedField(queryset=Subject.objects.all())
    item_type = serializers.ChoiceField(choices=ItemType.choices)
    content = serializers.JSONField()
    exclude_item = IdField(required=False, allow_null=True)


class NearDuplicateOutput(serializers.Serializer):
    id = serializers.IntegerField()
    similarity = serializers.FloatField(help_text="From 0 to 1.")
    text = serializers.CharField(allow_blank=True)


class NearDuplicatesOutput(serializers.Serializer):
    results = NearDuplicateOutput(many=True)


@extend_schema(request=NearDuplicateSerializer, responses={200: NearDuplicatesOutput})
@api_view(["POST"])
@permission_classes([IsAuthor])
def item_near_duplicates(request: Request) -> Response:
    serializer = NearDuplicateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    document = data["content"] if isinstance(data["content"], dict) else {}
    try:
        text = content.search_text(data["item_type"], document)
    except (KeyError, TypeError, ValueError, AttributeError):
        text = str(document.get("stem", ""))
    found = textsearch.near_duplicates(
        text=text, subject_id=data["subject"].pk, user=request.user, exclude_item_id=data.get("exclude_item")
    )
    return Response(
        {
            "results": [
                {"id": item.pk, "similarity": round(score, 3), "text": item.search_text[:200]} for item, score in found
            ]
        }
    )


class ReviewRowOutput(serializers.Serializer):
    version = serializers.IntegerField()
    item = serializers.IntegerField()
    number = serializers.IntegerField()
    subject_name = serializers.CharField()
    item_type = serializers.ChoiceField(choices=ItemType.choices)
    item_type_label = serializers.CharField()
    author_name = serializers.CharField()
    submitted_at = Instant(allow_null=True)
    text = serializers.CharField(allow_blank=True)
    text_html = serializers.CharField(allow_blank=True)
    key_summary = serializers.CharField(allow_blank=True)


class ReviewQueueOutput(serializers.Serializer):
    results = ReviewRowOutput(many=True)


@extend_schema(responses={200: ReviewQueueOutput})
@api_view(["GET"])
@permission_classes([IsAuthor])
def review_queue(request: Request) -> Response:
    """Submitted versions the user may review: of items they may edit, never their own."""
    versions = (
        ItemVersion.objects.filter(status=workflow.SUBMITTED, item__in=items_editable_by(request.user))
        .select_related("item__subject", "created_by")
        .order_by("id")
    )
    # The four-eyes rule: nobody reviews a version whose content they shaped.
    versions = versions.exclude(created_by=request.user).exclude(edits__by=request.user)
    submitted = dict(
        ItemReviewEvent.objects.filter(version__in=versions, to_status=workflow.SUBMITTED)
        .values_list("version_id")
        .annotate(at=Max("at"))
    )
    return Response(
        {
            "results": [
                {
                    "version": v.pk,
                    "item": v.item_id,
                    "number": v.number,
                    "subject_name": v.item.subject.name,
                    "item_type": v.item.item_type,
                    "item_type_label": v.item.get_item_type_display(),
                    "author_name": v.created_by.get_full_name() or v.created_by.get_username(),
                    "submitted_at": submitted[v.pk].isoformat() if v.pk in submitted else None,
                    **text_excerpt(v.item.item_type, v.content),
                    "key_summary": content.key_summary(v.item.item_type, v.content),
                }
                for v in versions[:200]
            ]
        }
    )


class MetaTopicOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    parent = serializers.IntegerField(allow_null=True)


class MetaSubjectOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    topics = MetaTopicOutput(many=True)


class LabelOutput(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class BankMetaOutput(serializers.Serializer):
    subjects = MetaSubjectOutput(many=True)
    levels = LabelOutput(many=True)
    item_types = LabelOutput(many=True)
    visibilities = LabelOutput(many=True)
    statuses = LabelOutput(many=True)


@extend_schema(responses={200: BankMetaOutput})
@api_view(["GET"])
@permission_classes([IsAuthor])
def bank_meta(request: Request) -> Response:
    """The vocabulary the authoring pages need: subjects with their topic trees, levels, types."""
    topics: dict[int, list[dict]] = {}
    for topic in Topic.objects.order_by("name"):
        topics.setdefault(topic.subject_id, []).append(
            {"id": topic.pk, "name": topic.name, "kind": topic.kind, "parent": topic.parent_id}
        )
    return Response(
        {
            "subjects": [
                {"code": s.code, "name": s.name, "topics": topics.get(s.pk, [])}
                for s in Subject.objects.order_by("name")
            ],
            "levels": [{"code": code, "label": str(label)} for code, label in cognitive_levels()],
            "item_types": [{"code": code, "label": str(label)} for code, label in ItemType.choices],
            "visibilities": [{"code": code, "label": str(label)} for code, label in Visibility.choices],
            "statuses": [{"code": code, "label": str(label)} for code, label in ItemVersion.Status.choices],
        }
    )


class CalibrationSerializer(serializers.Serializer):
    irt_a = serializers.FloatField(min_value=0.01, max_value=10)
    irt_b = serializers.FloatField(min_value=-10, max_value=10)
    irt_c = serializers.FloatField(min_value=0, max_value=0.99, required=False, allow_null=True, default=None)
    calibration = serializers.CharField(max_length=200)
    calibrated_at = Instant(required=False, allow_null=True, default=None)


@extend_schema(request=CalibrationSerializer, responses={200: VersionOutput})
@api_view(["POST"])
@permission_classes([IsBoard])
def version_calibration(request: Request, version_id: int) -> Response:
    """Record a version's IRT parameters and where they come from (board only)."""
    version = item_versions_visible_to(request.user).get(pk=version_id)
    serializer = CalibrationSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    version = services.item_version_set_calibration(
        by=request.user,
        version_id=version.pk,
        irt_a=data["irt_a"],
        irt_b=data["irt_b"],
        irt_c=data["irt_c"],
        calibration=data["calibration"],
        calibrated_at=data["calibrated_at"],
    )
    return Response(version_data(version))


class EnemiesSerializer(serializers.Serializer):
    items = serializers.ListField(child=IdField(), max_length=services.MAX_ENEMIES + 1)


class EnemyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField(allow_blank=True)
    item_type = serializers.ChoiceField(choices=ItemType.choices)


class EnemiesOutput(serializers.Serializer):
    item = serializers.IntegerField()
    items = EnemyOutput(many=True)


@extend_schema(methods=["GET"], responses={200: EnemiesOutput})
@extend_schema(methods=["PUT"], request=EnemiesSerializer, responses={200: EnemiesOutput})
@api_view(["GET", "PUT"])
@permission_classes([IsAuthor])
def item_enemies(request: Request, item_id: int) -> Response:
    """The items that must never sit on a form with this one (``PUT`` replaces the list)."""
    item = items_visible_to(request.user).get(pk=item_id)
    if request.method == "PUT":
        serializer = EnemiesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.item_set_enemies(by=request.user, item_id=item.pk, enemy_ids=serializer.validated_data["items"])
    enemies = items_visible_to(request.user).filter(enemies=item).order_by("pk")
    return Response(
        {"item": item.pk, "items": [{"id": e.pk, "title": e.title, "item_type": e.item_type} for e in enemies]}
    )
