"""REST API of shared stimuli (thin: parse, authorise, call ``itembank.stimuli``, shape).

| call | what |
| --- | --- |
| ``GET /api/stimuli/?subject=&q=`` | the stimuli you may see, newest first, at most 100 |
| ``POST /api/stimuli/`` | JSON or multipart: ``title``, ``subject`` (code), ``kind``, ``body``, ``visibility``, and for an image or audio clip ``media`` (an id from ``POST /api/media/``) or ``file`` with ``alt_text`` |
| ``GET, PATCH /api/stimuli/<id>/`` | one stimulus; a change is refused with 400 ``frozen`` once an approved version uses it |
| ``POST /api/stimuli/<id>/copy/`` | an editable copy owned by your organisation (``title``, ``visibility`` optional) |

Each stimulus reads ``{id, title, kind, subject, visibility, owner_name, html, body, frozen,
editable, media: {id, url, type, alt_text} | null, used_by, created_at}``: ``html`` is what
a student sees above each item using it (``itembank.preview.stimulus_view``), ``body`` the
stored (sanitised) text; ``editable`` says a PATCH would be accepted (you may change it and
it is not frozen); ``used_by`` counts the item versions using it.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsAuthor
from config.api import ErrorSerializer, Instant, error_body
from config.ids import CodeRelatedField

from . import stimuli
from .models import Stimulus, Subject, Visibility
from .preview import stimulus_view
from .selectors import stimuli_visible_to

TEXT_MAX_CHARS = 200_000


class StimulusSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    subject = CodeRelatedField(queryset=Subject.objects.all())
    kind = serializers.ChoiceField(choices=Stimulus.Kind.choices)
    body = serializers.CharField(
        max_length=TEXT_MAX_CHARS, required=False, allow_blank=True, default="", trim_whitespace=False
    )
    visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.SCHOOL)
    media = serializers.UUIDField(required=False, allow_null=True)
    file = serializers.FileField(required=False, allow_null=True)
    alt_text = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class StimulusUpdateSerializer(StimulusSerializer):
    subject = None  # the item versions using a stimulus are of its subject: it stays

    def validate(self, attrs: dict) -> dict:
        if "subject" in self.initial_data:
            raise serializers.ValidationError({"subject": [_("A stimulus keeps its subject; make a new one.")]})
        return attrs


class ListSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=40, required=False, allow_blank=True)
    q = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class CopySerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)


class StimulusMediaOutput(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField()
    type = serializers.CharField()
    alt_text = serializers.CharField(allow_blank=True)


class StimulusOutput(serializers.Serializer):
    """:func:`stimulus_data`."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=Stimulus.Kind.choices)
    subject = serializers.CharField()
    visibility = serializers.ChoiceField(choices=Visibility.choices)
    owner_name = serializers.CharField()
    html = serializers.CharField(allow_blank=True, help_text="What a student sees above each item using it.")
    body = serializers.CharField(allow_blank=True, help_text="The stored (sanitised) text.")
    frozen = serializers.BooleanField()
    editable = serializers.BooleanField()
    media = StimulusMediaOutput(allow_null=True)
    used_by = serializers.IntegerField()
    created_at = Instant()


class StimuliOutput(serializers.Serializer):
    results = StimulusOutput(many=True)


# A change refused once an approved version uses the stimulus: 400 ``frozen``; a file over
# every media limit: 413 ``too_large``.
CHANGE_ERRORS = {400: OpenApiResponse(ErrorSerializer, description="invalid, or frozen"), 413: ErrorSerializer}


def stimulus_data(stimulus: Stimulus, *, editable: bool, frozen: bool, used_by: int) -> dict:
    media = stimulus.media
    return {
        "id": stimulus.pk,
        "title": stimulus.title,
        "kind": stimulus.kind,
        "subject": stimulus.subject.code,
        "visibility": stimulus.visibility,
        "owner_name": stimulus.owner.name,
        "html": stimulus_view(stimulus)["html"],
        "body": stimulus.body,
        "frozen": frozen,
        "editable": editable and not frozen,
        "media": None
        if media is None
        else {"id": str(media.pk), "url": media.url, "type": media.content_type, "alt_text": media.alt_text},
        "used_by": used_by,
        "created_at": stimulus.created_at.isoformat(),
    }


def _detail(request: Request, stimulus: Stimulus) -> dict:
    stimulus = Stimulus.objects.select_related("owner", "subject", "media").get(pk=stimulus.pk)
    return stimulus_data(
        stimulus,
        editable=stimuli.user_can_edit_stimulus(request.user, stimulus),
        frozen=stimulus.frozen,
        used_by=stimulus.versions.count(),
    )


def _changes(data: dict) -> tuple[dict, Response | None]:
    """The service's arguments from the validated request; a file over every limit answers 413."""
    changes = dict(data)
    upload = changes.pop("file", None)
    if "media" in changes:
        media = changes.pop("media")
        if media is not None:
            changes["media_id"] = media
    if upload is not None:
        limit = max(settings.MEDIA_IMAGE_MAX_BYTES, settings.MEDIA_AUDIO_MAX_BYTES)
        if upload.size > limit:
            return changes, Response(
                error_body("too_large", _("The file is over %(limit)s bytes.") % {"limit": limit}), status=413
            )
        changes["upload"] = stimuli.Upload(name=upload.name, data=upload.read())
    return changes, None


def _frozen(exc: stimuli.StimulusFrozen) -> Response:
    return Response(error_body(exc.code, exc.messages[0]), status=status.HTTP_400_BAD_REQUEST)


@extend_schema(
    methods=["GET"], parameters=[ListSerializer], responses={200: StimuliOutput}, operation_id="stimuli_list"
)
@extend_schema(methods=["POST"], request=StimulusSerializer, responses={201: StimulusOutput, **CHANGE_ERRORS})
@api_view(["GET", "POST"])
@permission_classes([IsAuthor])
@parser_classes([JSONParser, MultiPartParser])
def stimulus_list(request: Request) -> Response:
    if request.method == "GET":
        params = ListSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        subject_code = params.validated_data.get("subject") or ""
        subject = Subject.objects.filter(code=subject_code).first() if subject_code else None
        if subject_code and subject is None:
            return Response(
                error_body("invalid", _("Unknown subject."), {"subject": [_("Unknown subject.")]}), status=400
            )
        found = list(stimuli.stimuli_listed(request.user, subject=subject, q=params.validated_data.get("q", "")[:200]))
        editable = stimuli.stimuli_editable_ids(request.user, found)
        return Response(
            {
                "results": [
                    stimulus_data(s, editable=s.pk in editable, frozen=s.is_frozen, used_by=s.used_by) for s in found
                ]
            }
        )
    serializer = StimulusSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    changes, refused = _changes(serializer.validated_data)
    if refused is not None:
        return refused
    stimulus = stimuli.stimulus_create(by=request.user, **changes)
    return Response(_detail(request, stimulus), status=status.HTTP_201_CREATED)


@extend_schema(methods=["GET"], responses={200: StimulusOutput})
@extend_schema(methods=["PATCH"], request=StimulusUpdateSerializer, responses={200: StimulusOutput, **CHANGE_ERRORS})
@api_view(["GET", "PATCH"])
@permission_classes([IsAuthor])
@parser_classes([JSONParser, MultiPartParser])
def stimulus_detail(request: Request, stimulus_id: int) -> Response:
    stimulus = stimuli_visible_to(request.user).get(pk=stimulus_id)
    if request.method == "PATCH":
        serializer = StimulusUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes, refused = _changes(serializer.validated_data)
        if refused is not None:
            return refused
        try:
            stimulus = stimuli.stimulus_update(by=request.user, stimulus_id=stimulus.pk, **changes)
        except stimuli.StimulusFrozen as exc:
            return _frozen(exc)
    return Response(_detail(request, stimulus))


@extend_schema(request=CopySerializer, responses={201: StimulusOutput})
@api_view(["POST"])
@permission_classes([IsAuthor])
@parser_classes([JSONParser, MultiPartParser])
def stimulus_copy(request: Request, stimulus_id: int) -> Response:
    """The body is optional: a bare POST copies the stimulus as it is."""
    stimulus = stimuli_visible_to(request.user).get(pk=stimulus_id)
    serializer = CopySerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    copy = stimuli.stimulus_copy(by=request.user, stimulus_id=stimulus.pk, **serializer.validated_data)
    return Response(_detail(request, copy), status=status.HTTP_201_CREATED)
