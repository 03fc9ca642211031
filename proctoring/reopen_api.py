"""REST API of reopening attempts handed in by mistake, and of a sitting's Safe Exam Browser
settings (docs/proctoring.md, sections 6 and 7).

- Asking to reopen an attempt: the room's proctors and the board; a sitting's requests: its
  board (all), a proctor (their rooms'); deciding: the board.
- Safe Exam Browser settings of a sitting: its board.

A row outside one's reach does not exist (404); the services check again who may do what.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsBoard, IsProctor
from assess.authoring_api import _valid
from assess.models import Sitting
from assess.sittings import sittings_run_by

from . import seb_settings, services
from .api import _reachable_attempt
from .models import ReopenRequest, SittingRoom


class ReopenInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="Why: it goes into the room's report.")


class DecisionInput(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ReopenRequestOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    attempt = serializers.IntegerField(source="attempt_id")
    sitting = serializers.IntegerField(source="sitting_id")
    room = serializers.IntegerField(source="room_id", allow_null=True)
    room_name = serializers.CharField(source="room.room.name", allow_null=True, default=None)
    username = serializers.CharField(source="attempt.student.username")
    name = serializers.SerializerMethodField()
    learner_id = serializers.CharField(source="attempt.student.learner_id", allow_null=True)
    reason = serializers.CharField()
    requested_by = serializers.SerializerMethodField()
    requested_at = serializers.DateTimeField()
    status = serializers.CharField(help_text="pending, approved or refused")
    status_label = serializers.CharField(source="get_status_display")
    decided_by = serializers.SerializerMethodField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField()

    def get_name(self, request: ReopenRequest) -> str:
        return request.attempt.student.get_full_name() or request.attempt.student.username

    def get_requested_by(self, request: ReopenRequest) -> str:
        return request.requested_by.get_full_name() or request.requested_by.username

    def get_decided_by(self, request: ReopenRequest) -> str | None:
        person = request.decided_by
        return (person.get_full_name() or person.username) if person is not None else None


class ReopenRequestsOutput(serializers.Serializer):
    results = ReopenRequestOutput(many=True)
    pending = serializers.IntegerField()


def _one(request_id: int):
    return ReopenRequest.objects.select_related("attempt__student", "room__room", "requested_by", "decided_by").get(
        pk=request_id
    )


@extend_schema(request=ReopenInput, responses={201: ReopenRequestOutput})
@api_view(["POST"])
@permission_classes([IsProctor])
def attempt_reopen_request(request: Request, attempt_id: int) -> Response:
    """Ask the exam board to reopen an attempt the candidate handed in by mistake (with time
    left, before the results are released and the window closes). One pending at a time."""
    attempt = _reachable_attempt(request, attempt_id)
    data = _valid(ReopenInput, request.data)
    made = services.reopen_request(by=request.user, attempt_id=attempt.pk, reason=data["reason"])
    return Response(ReopenRequestOutput(_one(made.pk)).data, status=status.HTTP_201_CREATED)


@extend_schema(responses={200: ReopenRequestsOutput})
@api_view(["GET"])
@permission_classes([IsProctor])
def sitting_reopen_requests(request: Request, sitting_id: int) -> Response:
    """A sitting's requests to reopen attempts, newest first: all for its board, their rooms'
    for a proctor."""
    sitting = Sitting.objects.filter(kind=Sitting.Kind.EXAM).get(pk=sitting_id)
    if not (
        sittings_run_by(request.user).filter(pk=sitting.pk).exists()
        or SittingRoom.objects.filter(sitting=sitting, proctors=request.user).exists()
    ):
        raise Sitting.DoesNotExist  # neither its board nor a proctor of one of its rooms
    found = list(services.reopen_requests(by=request.user, sitting_id=sitting.pk)[:1000])
    pending = sum(1 for r in found if r.status == ReopenRequest.Status.PENDING)
    return Response(ReopenRequestsOutput({"results": found, "pending": pending}).data)


def _decide(request: Request, request_id: int, *, approve: bool) -> Response:
    reachable = ReopenRequest.objects.filter(sitting__in=sittings_run_by(request.user)).get(pk=request_id)
    data = _valid(DecisionInput, request.data)
    services.reopen_decide(by=request.user, request_id=reachable.pk, approve=approve, note=data["note"])
    return Response(ReopenRequestOutput(_one(reachable.pk)).data)


@extend_schema(request=DecisionInput, responses={200: ReopenRequestOutput})
@api_view(["POST"])
@permission_classes([IsBoard])
def reopen_approve(request: Request, request_id: int) -> Response:
    """Approve: the attempt is paused again with the time it had left when handed in; the
    room's proctor resumes it. Its result, if scored, is dropped until it is handed in again."""
    return _decide(request, request_id, approve=True)


@extend_schema(request=DecisionInput, responses={200: ReopenRequestOutput})
@api_view(["POST"])
@permission_classes([IsBoard])
def reopen_refuse(request: Request, request_id: int) -> Response:
    """Refuse, with a note for the proctor."""
    return _decide(request, request_id, approve=False)


# --- Safe Exam Browser ---------------------------------------------------------------------------


class SebInput(serializers.Serializer):
    required = serializers.BooleanField()
    config_keys = serializers.ListField(
        child=serializers.CharField(max_length=64), max_length=seb_settings.MAX_KEYS, required=False, default=list
    )
    browser_exam_keys = serializers.ListField(
        child=serializers.CharField(max_length=64), max_length=seb_settings.MAX_KEYS, required=False, default=list
    )


class SebOutput(serializers.Serializer):
    required = serializers.BooleanField()
    config_keys = serializers.ListField(child=serializers.CharField())
    browser_exam_keys = serializers.ListField(child=serializers.CharField())
    updated_at = serializers.DateTimeField(allow_null=True)


@extend_schema(methods=["PUT"], request=SebInput, responses={200: SebOutput})
@extend_schema(methods=["GET"], responses={200: SebOutput})
@api_view(["GET", "PUT"])
@permission_classes([IsBoard])
def sitting_seb(request: Request, sitting_id: int) -> Response:
    """Whether the sitting requires Safe Exam Browser, and the Config Keys and Browser Exam Keys
    its exam pages accept (64 hexadecimal characters each; a kind with no key is not checked)."""
    sitting = sittings_run_by(request.user).filter(kind=Sitting.Kind.EXAM).get(pk=sitting_id)
    if request.method == "PUT":
        data = _valid(SebInput, request.data)
        settings_ = seb_settings.save(
            by=request.user,
            sitting=sitting,
            required=data["required"],
            config_keys=data["config_keys"],
            browser_exam_keys=data["browser_exam_keys"],
        )
    else:
        settings_ = seb_settings.of(sitting.pk)
    return Response(SebOutput(settings_).data)
