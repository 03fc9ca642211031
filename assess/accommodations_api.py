"""REST API of a sitting's accommodations (``assess.accommodations``): the exam board's.

``/api/sittings/<id>/accommodations/``: GET lists them, POST adds one;
``/api/sittings/<id>/accommodations/<id>/``: GET, PUT (replace), DELETE. Anyone but a board
is refused (403); a sitting outside one's organisations does not exist (404).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsBoard
from config.ids import IdField

from . import accommodations, sittings
from .authoring_api import _valid
from .models import Accommodation


class AccommodationInput(serializers.Serializer):
    student = serializers.CharField(
        max_length=150, required=False, default="", allow_blank=True, help_text="User name or learner identifier."
    )
    school_class = IdField(required=False, allow_null=True, default=None)
    extra_minutes = serializers.IntegerField(required=False, allow_null=True, default=None)
    time_multiplier = serializers.DecimalField(
        max_digits=6, decimal_places=2, required=False, allow_null=True, default=None
    )
    large_text = serializers.BooleanField(required=False, default=False)
    separate_room = serializers.BooleanField(required=False, default=False)
    note = serializers.CharField(max_length=accommodations.MAX_NOTE, required=False, default="", allow_blank=True)


class AccommodationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    student = serializers.SerializerMethodField()
    school_class = serializers.SerializerMethodField()
    extra_minutes = serializers.IntegerField(allow_null=True)
    time_multiplier = serializers.DecimalField(max_digits=3, decimal_places=2, allow_null=True)
    large_text = serializers.BooleanField()
    separate_room = serializers.BooleanField()
    note = serializers.CharField()

    def get_student(self, accommodation: Accommodation) -> dict[str, Any] | None:
        student = accommodation.student
        if student is None:
            return None
        return {
            "id": student.pk,
            "username": student.username,
            "name": student.get_full_name() or student.username,
            "learner_id": student.learner_id,
        }

    def get_school_class(self, accommodation: Accommodation) -> dict[str, Any] | None:
        school_class = accommodation.school_class
        return {"id": school_class.pk, "name": school_class.name} if school_class is not None else None


class AccommodationsOutput(serializers.Serializer):
    results = AccommodationOutput(many=True)


def _spec(request: Request) -> accommodations.AccommodationSpec:
    data = _valid(AccommodationInput, request.data)
    return accommodations.AccommodationSpec(
        student=data["student"],
        school_class_id=data["school_class"],
        extra_minutes=data["extra_minutes"],
        time_multiplier=data["time_multiplier"],
        large_text=data["large_text"],
        separate_room=data["separate_room"],
        note=data["note"],
    )


def _sitting(request: Request, sitting_id: int):
    return sittings.sittings_run_by(request.user).get(pk=sitting_id)


def _one(sitting, accommodation_id: int) -> dict[str, Any]:
    return AccommodationOutput(accommodations.accommodations_of(sitting).get(pk=accommodation_id)).data


@extend_schema(methods=["GET"], responses={200: AccommodationsOutput}, operation_id="sitting_accommodations_list")
@extend_schema(methods=["POST"], request=AccommodationInput, responses={201: AccommodationOutput})
@api_view(["GET", "POST"])
@permission_classes([IsBoard])
def accommodation_list(request: Request, sitting_id: int) -> Response:
    """A sitting's accommodations, or a new one (for a candidate or for a class)."""
    sitting = _sitting(request, sitting_id)
    if request.method == "GET":
        return Response({"results": AccommodationOutput(accommodations.accommodations_of(sitting), many=True).data})
    accommodation = accommodations.accommodation_create(by=request.user, sitting_id=sitting.pk, spec=_spec(request))
    return Response(_one(sitting, accommodation.pk), status=status.HTTP_201_CREATED)


@extend_schema(methods=["GET"], responses={200: AccommodationOutput}, operation_id="sitting_accommodation_get")
@extend_schema(methods=["PUT"], request=AccommodationInput, responses={200: AccommodationOutput})
@extend_schema(methods=["DELETE"], responses={204: None})
@api_view(["GET", "PUT", "DELETE"])
@permission_classes([IsBoard])
def accommodation_detail(request: Request, sitting_id: int, accommodation_id: int) -> Response:
    sitting = _sitting(request, sitting_id)
    if request.method == "PUT":
        accommodations.accommodation_update(
            by=request.user, sitting_id=sitting.pk, accommodation_id=accommodation_id, spec=_spec(request)
        )
    elif request.method == "DELETE":
        accommodations.accommodation_delete(by=request.user, sitting_id=sitting.pk, accommodation_id=accommodation_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
    return Response(_one(sitting, accommodation_id))
