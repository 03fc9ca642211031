"""REST API of subjects and their topic trees (thin: parse, authorise, call ``itembank.subjects``, shape).

| call | what |
| --- | --- |
| ``GET /api/subjects/`` | every subject: ``{"results": [subject]}`` |
| ``POST /api/subjects/`` | ``{"name", "code"}`` (code optional: made from the name) -> 201 subject |
| ``GET, PATCH /api/subjects/<id>/`` | one subject; change ``name`` or ``code`` |
| ``GET /api/subjects/<id>/topics/`` | ``{"subject", "results": [topic]}``: the tree, flat (``parent`` ids) |
| ``POST /api/subjects/<id>/topics/`` | ``{"name", "kind", "parent"}`` -> 201 topic |
| ``PATCH /api/topics/<id>/`` | rename (``name``), change ``kind``, move (``parent``: a topic id, or null for the top) |
| ``DELETE /api/topics/<id>/`` | 204; 400 ``topic_in_use`` with ``reasons`` when subtopics, items or blueprints use it |

A subject reads ``{id, code, name, owner, owner_name, editable, topic_count}``; a topic
``{id, name, kind, kind_label, parent, owner, owner_name, editable, item_count,
blueprint_count}``. ``owner_name`` is the organisation that keeps it ("" for the platform's
own list); ``editable`` says a change would be accepted from you. Teachers, the exam board,
school administrators and administrators read; the board, school administrators and
administrators write (``accounts.permissions.ReadsOrKeepsTaxonomy``); others get 403.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import ReadsOrKeepsTaxonomy, can_change_taxonomy, scope_of
from config.api import ErrorSerializer, error_body
from config.ids import IdField

from . import subjects
from .models import Subject, Topic


class SubjectSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=1000, allow_blank=True, trim_whitespace=False)
    code = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class SubjectUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=1000, required=False, allow_blank=True, trim_whitespace=False)
    code = serializers.CharField(max_length=1000, required=False, allow_blank=True)


class TopicSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=1000, allow_blank=True, trim_whitespace=False)
    kind = serializers.ChoiceField(choices=Topic.Kind.choices, default=Topic.Kind.TOPIC)
    parent = IdField(required=False, allow_null=True, default=None)


class TopicUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=1000, required=False, allow_blank=True, trim_whitespace=False)
    kind = serializers.ChoiceField(choices=Topic.Kind.choices, required=False)
    parent = IdField(required=False, allow_null=True)


class SubjectOutput(serializers.Serializer):
    """:func:`subject_data`."""

    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    owner = serializers.IntegerField(allow_null=True)
    owner_name = serializers.CharField(allow_blank=True, help_text="Empty for the platform's own list.")
    editable = serializers.BooleanField()
    topic_count = serializers.IntegerField(allow_null=True)


class SubjectsOutput(serializers.Serializer):
    results = SubjectOutput(many=True)


class TopicOutput(serializers.Serializer):
    """:func:`topic_data`."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Topic.Kind.choices)
    kind_label = serializers.CharField()
    parent = serializers.IntegerField(allow_null=True)
    owner = serializers.IntegerField(allow_null=True)
    owner_name = serializers.CharField(allow_blank=True)
    editable = serializers.BooleanField()
    item_count = serializers.IntegerField()
    blueprint_count = serializers.IntegerField()


class TopicsOutput(serializers.Serializer):
    subject = SubjectOutput()
    results = TopicOutput(many=True)


def subject_data(subject: Subject, *, user: Any) -> dict:
    return {
        "id": subject.pk,
        "code": subject.code,
        "name": subject.name,
        "owner": subject.owner_id,
        "owner_name": subjects.keeper_name(subject.owner),
        "editable": can_change_taxonomy(scope_of(user), owner_id=subject.owner_id),
        "topic_count": getattr(subject, "topic_count", None),
    }


def topic_data(topic: Topic, *, user: Any) -> dict:
    return {
        "id": topic.pk,
        "name": topic.name,
        "kind": topic.kind,
        "kind_label": topic.get_kind_display(),
        "parent": topic.parent_id,
        "owner": topic.owner_id,
        "owner_name": subjects.keeper_name(topic.owner),
        "editable": can_change_taxonomy(scope_of(user), owner_id=topic.owner_id),
        "item_count": getattr(topic, "item_count", 0),
        "blueprint_count": getattr(topic, "blueprint_count", 0),
    }


def _subject(user: Any, subject_id: int) -> Subject:
    return subjects.subjects_for(user).get(pk=subject_id)  # 404 for an unknown id


@extend_schema(methods=["GET"], responses={200: SubjectsOutput}, operation_id="subjects_list")
@extend_schema(methods=["POST"], request=SubjectSerializer, responses={201: SubjectOutput})
@api_view(["GET", "POST"])
@permission_classes([ReadsOrKeepsTaxonomy])
def subject_list(request: Request) -> Response:
    if request.method == "GET":
        return Response({"results": [subject_data(s, user=request.user) for s in subjects.subjects_for(request.user)]})
    serializer = SubjectSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    subject = subjects.subject_create(by=request.user, **serializer.validated_data)
    return Response(subject_data(_subject(request.user, subject.pk), user=request.user), status=status.HTTP_201_CREATED)


@extend_schema(methods=["GET"], responses={200: SubjectOutput})
@extend_schema(methods=["PATCH"], request=SubjectUpdateSerializer, responses={200: SubjectOutput})
@api_view(["GET", "PATCH"])
@permission_classes([ReadsOrKeepsTaxonomy])
def subject_detail(request: Request, subject_id: int) -> Response:
    subject = _subject(request.user, subject_id)
    if request.method == "PATCH":
        serializer = SubjectUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subjects.subject_update(by=request.user, subject_id=subject.pk, **serializer.validated_data)
        subject = _subject(request.user, subject_id)
    return Response(subject_data(subject, user=request.user))


@extend_schema(methods=["GET"], responses={200: TopicsOutput})
@extend_schema(methods=["POST"], request=TopicSerializer, responses={201: TopicOutput})
@api_view(["GET", "POST"])
@permission_classes([ReadsOrKeepsTaxonomy])
def subject_topics(request: Request, subject_id: int) -> Response:
    subject = _subject(request.user, subject_id)
    if request.method == "POST":
        serializer = TopicSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        topic = subjects.topic_create(
            by=request.user, subject_id=subject.pk, name=data["name"], kind=data["kind"], parent_id=data["parent"]
        )
        return Response(topic_data(topic, user=request.user), status=status.HTTP_201_CREATED)
    topics = subjects.topics_of(request.user, subject)
    return Response(
        {
            "subject": subject_data(subject, user=request.user),
            "results": [topic_data(topic, user=request.user) for topic in topics],
        }
    )


@extend_schema(methods=["PATCH"], request=TopicUpdateSerializer, responses={200: TopicOutput})
@extend_schema(
    methods=["DELETE"],
    responses={
        204: None,
        400: OpenApiResponse(ErrorSerializer, description="topic_in_use, with the reasons in error.reasons"),
    },
)
@api_view(["PATCH", "DELETE"])
@permission_classes([ReadsOrKeepsTaxonomy])
def topic_detail(request: Request, topic_id: int) -> Response:
    if request.method == "DELETE":
        try:
            subjects.topic_delete(by=request.user, topic_id=topic_id)
        except subjects.TopicInUse as exc:
            body = error_body(exc.code, exc.messages[0])
            body["error"]["reasons"] = exc.problems
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(status=status.HTTP_204_NO_CONTENT)
    serializer = TopicUpdateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = dict(serializer.validated_data)
    if "parent" in data:
        data["parent_id"] = data.pop("parent")
    topic = subjects.topic_update(by=request.user, topic_id=topic_id, **data)
    topic = subjects.topics_of(request.user, topic.subject).get(pk=topic.pk)
    return Response(topic_data(topic, user=request.user))
